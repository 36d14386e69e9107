import { Suspense, useState, type ReactNode } from 'react';
import { lazy } from '../../ui/lazy.tsx';
import { anchorOf, type Anchor } from '../../ui/dialog.tsx';
import './people.css';

const ProfileCard = lazy(async () => ({
  default: (await import('../status/profile-card.tsx')).ProfileCard,
}));

/**
 * A person's name that opens their profile card (issue 18, people): for member lists and anywhere a name
 * is shown outside the message rows (which open the card through the conversation's controls). The card
 * loads on first click; the button says whose profile it opens.
 */
export function PersonName({
  userId,
  name,
  children,
}: {
  userId: string;
  name: string;
  /** What the button shows; the name by default. */
  children?: ReactNode;
}) {
  const [open, setOpen] = useState<Anchor | null | false>(false);
  return (
    <>
      <button
        type="button"
        className="person-name"
        aria-haspopup="dialog"
        aria-label={`${name}: view profile`}
        onClick={(e) => setOpen(anchorOf(e.currentTarget))}
      >
        {children ?? name}
      </button>
      {open !== false && (
        <Suspense fallback={null}>
          <ProfileCard userId={userId} anchor={open} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
