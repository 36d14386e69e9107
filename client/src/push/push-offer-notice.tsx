import { NetworkError } from '@commonroom/engine';
import { useEffect, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { PUSH_OFFER_EVENT, offerDone, offerDue } from './push-offer.ts';
import { turnOnPush } from './push-device.ts';

type Step = 'hidden' | 'asking' | 'busy' | 'on' | 'blocked' | 'failed';

const AFTER: Partial<Record<Step, string>> = {
  on: 'Notifications are on for this device. You can turn them off in your profile.',
  blocked:
    'Notifications are off. You will see new messages when you open Commonroom. To change this, allow notifications for this site in the browser (the padlock beside the address), then turn them on in your profile.',
};

/**
 * The one-time offer of notifications after the first message sent on this device (push-offer.ts). Says
 * what is sent and what saying no means before the browser asks; the browser's own question follows the
 * click, as browsers require.
 */
export function PushOfferNotice() {
  const engine = useEngine();
  const [step, setStep] = useState<Step>(() => (offerDue() ? 'asking' : 'hidden'));
  const [failure, setFailure] = useState('');
  useEffect(() => {
    const show = () => offerDue() && setStep('asking');
    addEventListener(PUSH_OFFER_EVENT, show);
    return () => removeEventListener(PUSH_OFFER_EVENT, show);
  }, []);

  if (step === 'hidden') return null;
  const close = () => {
    offerDone();
    setStep('hidden');
  };
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

  const after = step === 'failed' ? failure : AFTER[step];
  return (
    <div className="floating-notice" role="dialog" aria-labelledby="push-offer-title" data-push-offer={step}>
      {after ? (
        <p role="status">{after}</p>
      ) : (
        <p>
          <strong id="push-offer-title">Get notified when someone replies?</strong>
          <br />
          When Commonroom is closed, this device can tell you of direct messages, mentions of you, replies in
          your threads and announcements. If you say no, you will see them when you next open the app.
        </p>
      )}
      <div className="floating-notice-buttons">
        {after ? (
          <button type="button" onClick={() => setStep('hidden')}>
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
            <button type="button" disabled={step === 'busy'} onClick={close}>
              Not now
            </button>
          </>
        )}
      </div>
    </div>
  );
}
