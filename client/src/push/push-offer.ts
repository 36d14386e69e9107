import { useEffect, useState } from 'react';

/**
 * When to offer notifications (issue 15 §1): not on page load, but once the person has sent their first
 * message on this device, when hearing of the answer is what they want. Asked once per device: "Not now"
 * and every answer end it (the profile page keeps the switch). Kept in localStorage, which a wipe clears.
 */

const KEY = 'commonroom.push-offer';
export const PUSH_OFFER_EVENT = 'commonroom:push-offer';

type Offer = 'due' | 'done';

/** True where the browser could show notifications and has not been asked yet. */
function askable(): boolean {
  return (
    typeof Notification !== 'undefined' &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    Notification.permission === 'default'
  );
}

function read(): Offer | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'due' || v === 'done' ? v : null;
  } catch {
    return 'done';
  }
}

function write(v: Offer): void {
  try {
    localStorage.setItem(KEY, v);
  } catch {
    // Storage refused (private mode): the offer shows again next time, which is harmless.
  }
}

/** After a message was sent: makes the offer due, once. */
export function messageSent(): void {
  if (read() !== null || !askable()) return;
  write('due');
  dispatchEvent(new Event(PUSH_OFFER_EVENT));
}

/** Whether the offer should show now. */
export const offerDue = (): boolean => read() === 'due' && askable();

/** The person answered or said "Not now": never offered again on this device. */
export const offerDone = (): void => write('done');

/** Whether the offer is due, following `messageSent` as it happens (for the composer that shows it). */
export function useOfferDue(): [boolean, () => void] {
  const [due, setDue] = useState(offerDue);
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const show = () => setDue(offerDue());
    const net = () => setOnline(navigator.onLine);
    addEventListener(PUSH_OFFER_EVENT, show);
    addEventListener('online', net);
    addEventListener('offline', net);
    return () => {
      removeEventListener(PUSH_OFFER_EVENT, show);
      removeEventListener('online', net);
      removeEventListener('offline', net);
    };
  }, []);
  // Offline, turning notifications on cannot work: the offer waits for the connection.
  return [due && online, () => setDue(false)];
}
