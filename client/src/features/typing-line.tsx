import { useEffect, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';

/**
 * "Sarah is typing…" in a conversation or one of its threads (issue 15 §4). Gone the moment her message
 * arrives (the server says so with it); otherwise it fades by itself, so the line is drawn again each
 * second while anyone is shown.
 */
export function TypingLine({ conversationId, parent = '' }: { conversationId: string; parent?: string }) {
  const engine = useEngine();
  const me = engine.me()?.id;
  const typing = engine.typingIn(conversationId, parent).filter((id) => id !== me);
  const [, tick] = useState(0);
  const shown = typing.length > 0;
  useEffect(() => {
    if (!shown) return;
    const t = setInterval(() => tick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, [shown]);
  return (
    <p className="typing" aria-live="polite" data-testid="typing">
      {shown &&
        `${typing.map((id) => engine.user(id)?.displayName ?? 'Someone').join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}
    </p>
  );
}
