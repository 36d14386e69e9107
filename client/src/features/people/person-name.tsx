import { lazy, Suspense, useState, type ReactNode } from 'react';
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
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="person-name"
        aria-haspopup="dialog"
        aria-label={`${name}: view profile`}
        onClick={() => setOpen(true)}
      >
        {children ?? name}
      </button>
      {open && (
        <Suspense fallback={null}>
          <ProfileCard userId={userId} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
