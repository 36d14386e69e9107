import { NetworkError } from '@commonroom/engine';
import { useState, type JSX } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { offerDone } from './push-offer.ts';
import { turnOnPush } from './push-device.ts';
import './push-offer.css';

type Step = 'asking' | 'busy' | 'on' | 'blocked' | 'failed';

const AFTER: Partial<Record<Step, string>> = {
  on: 'Notifications are on for this device. You can turn them off in your profile.',
  blocked:
    'Notifications are off. You will see new messages when you open Commonroom. To change this, allow notifications for this site in the browser (the padlock beside the address), then turn them on in your profile.',
};

/**
 * The one-time offer of notifications, above the composer after the first message sent on this device
 * (push-offer.ts): inline, so it covers nothing. It says what is sent and what saying no means before the
 * browser asks; the browser's own question follows the click, as browsers require.
 */
export function PushOfferBar(props: { onClose: () => void }): JSX.Element | null {
  const engine = useEngine();
  const [step, setStep] = useState<Step>('asking');
  const [failure, setFailure] = useState('');

  const turnOn = async () => {
    setStep('busy');
    try {
      const s = await turnOnPush(engine);
      offerDone();
      setStep(s === 'on' ? 'on' : 'blocked');
    } catch (err) {
      offerDone();
      setFailure(
        err instanceof NetworkError
          ? 'You are offline, so notifications could not be turned on. Turn them on in your profile once you are connected.'
          : `${err instanceof Error ? err.message : 'Notifications could not be turned on.'} You can try again from your profile.`,
      );
      setStep('failed');
    }
  };
  const notNow = () => {
    offerDone();
    props.onClose();
  };

  const after = step === 'failed' ? failure : AFTER[step];
  return (
    <section className="push-offer" aria-label="Notifications" data-push-offer={step}>
      {after ? (
        <p role="status">{after}</p>
      ) : (
        <p>
          <strong>Get notified of replies?</strong> When Commonroom is closed, this device can tell you of
          direct messages, mentions, replies in your threads and announcements. If not, you will see them when
          you next open the app.
        </p>
      )}
      <div className="push-offer-buttons">
        {after ? (
          <button type="button" onClick={props.onClose}>
            OK
          </button>
        ) : (
          <>
            <button
              type="button"
              className="primary"
              disabled={step === 'busy'}
              onClick={() => void turnOn()}
            >
              {step === 'busy' ? 'Turning on…' : 'Turn on notifications'}
            </button>
            <button type="button" disabled={step === 'busy'} onClick={notNow}>
              Not now
            </button>
          </>
        )}
      </div>
    </section>
  );
}
