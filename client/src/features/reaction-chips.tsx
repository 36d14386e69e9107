import type { EngineMessage } from '@commonroom/engine';
import { useRef, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';

const LONG_PRESS_MS = 500;

/**
 * The reactions under a message as toggle buttons: pressed when one of them is mine. Who reacted shows on
 * hover (title), to screen readers (label), and on a long press or right click (a list under the chips),
 * since a phone has no hover.
 */
export function ReactionChips({
  m,
  conversationId,
  canReact,
}: {
  m: EngineMessage;
  conversationId: string;
  canReact: boolean;
}) {
  const engine = useEngine();
  const [who, setWho] = useState<string | null>(null);
  // iOS Safari fires no contextmenu on a long press: time the touch ourselves.
  const press = useRef<{ timer: ReturnType<typeof setTimeout> | null; fired: boolean }>({
    timer: null,
    fired: false,
  });
  const endPress = () => {
    if (press.current.timer !== null) clearTimeout(press.current.timer);
    press.current.timer = null;
  };
  const meId = engine.me()?.id ?? '';
  if (m.reactions.length === 0) return null;
  const names = (ids: string[]) =>
    ids.map((id) => (id === meId ? 'you' : (engine.user(id)?.displayName ?? 'someone'))).join(', ');
  const shown = m.reactions.find((r) => r.emoji === who);
  return (
    <div className="reactions-wrap">
      <ul className="reactions" aria-label="Reactions">
        {m.reactions.map((r) => {
          const mineToo = r.userIds.includes(meId);
          const label = `${r.emoji} ${r.userIds.length}: ${names(r.userIds)}`;
          return (
            <li key={r.emoji}>
              <button
                type="button"
                className={`chip${mineToo ? ' chip-mine' : ''}`}
                aria-pressed={mineToo}
                aria-label={canReact ? `${label}. ${mineToo ? 'Remove' : 'Add'} yours` : label}
                title={names(r.userIds)}
                aria-disabled={!canReact}
                onPointerDown={(e) => {
                  if (e.pointerType !== 'touch') return;
                  endPress();
                  press.current.fired = false;
                  press.current.timer = setTimeout(() => {
                    press.current.fired = true;
                    setWho(r.emoji);
                  }, LONG_PRESS_MS);
                }}
                onPointerUp={endPress}
                onPointerCancel={endPress}
                onPointerLeave={endPress}
                onClick={() => {
                  // The click that ends a long press shows who reacted; it does not toggle.
                  if (press.current.fired) {
                    press.current.fired = false;
                    return;
                  }
                  if (canReact)
                    void engine.react(conversationId, m.key, r.emoji, !mineToo).catch(() => undefined);
                }}
                onContextMenu={(e) => {
                  e.preventDefault();
                  setWho(who === r.emoji ? null : r.emoji);
                }}
              >
                {r.emoji} {r.userIds.length}
              </button>
            </li>
          );
        })}
      </ul>
      {shown && (
        <p className="reacted-by" role="status">
          {shown.emoji} {names(shown.userIds)}
        </p>
      )}
    </div>
  );
}
