import { ApiError, NetworkError } from '@commonroom/engine';
import {
  AVATAR_COLOURS,
  AVATAR_COLOUR_KEYS,
  DEFAULT_AVATAR_COLOUR,
  type AvatarColour,
} from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { initials, roleLabel } from '../../ui/format.ts';
import { NotificationsCard } from './notifications-card.tsx';
import { NotifyPrefsCard } from './notify-prefs-card.tsx';
import { DeviceStorageCard } from './device-storage-card.tsx';
import { PasswordForm } from './password-form.tsx';
import './profile.css';

const known = (key: string | undefined): AvatarColour =>
  key !== undefined && key in AVATAR_COLOURS ? (key as AvatarColour) : DEFAULT_AVATAR_COLOUR;

/**
 * One's own profile (/profile, issue 13 §4), for everyone: the name, pronouns and avatar colour others see
 * beside one's messages and in the directory, and a password change. Loaded only when opened.
 */
export function ProfilePage() {
  const engine = useEngine();
  useEngineVersion();
  const me = engine.me();
  const [name, setName] = useState(me?.displayName ?? '');
  const [pronouns, setPronouns] = useState(me?.pronouns ?? '');
  const [colour, setColour] = useState<AvatarColour>(known(me?.avatarColour));
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!me) return null;

  const dirty =
    name.trim() !== me.displayName ||
    pronouns.trim() !== (me.pronouns ?? '') ||
    colour !== known(me.avatarColour);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!name.trim()) return setError('Enter the name people know you by.');
    setBusy(true);
    try {
      await engine.updateProfile({
        displayName: name.trim(),
        pronouns: pronouns.trim(),
        avatarColour: colour,
      });
      setDone('Profile saved. Others see it beside your messages.');
    } catch (err) {
      setError(
        err instanceof NetworkError
          ? 'You are offline. Connect to save your profile.'
          : err instanceof ApiError
            ? err.message
            : 'Something went wrong. Please try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="profile-page">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="profile-bar">
        <span className="profile-brand">Your account</span>
        <a
          href="/"
          onClick={(e) => {
            if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
            e.preventDefault();
            navigate('/');
          }}
        >
          ← Back to messages
        </a>
      </header>
      <main className="profile-main" id="main">
        <h1>Your profile</h1>
        <form className="profile-card" aria-labelledby="profile-title" onSubmit={(e) => void submit(e)}>
          <h2 id="profile-title" className="visually-hidden">
            Name and avatar
          </h2>
          <div className="profile-preview" aria-hidden="true">
            <span className="avatar big" style={{ background: AVATAR_COLOURS[colour].hex }}>
              {initials(name || me.displayName)}
            </span>
            <span>
              <strong>{name.trim() || me.displayName}</strong>
              {pronouns.trim() && <span className="muted"> ({pronouns.trim()})</span>}
              <span className="muted block">{roleLabel(me.role)}</span>
            </span>
          </div>
          <label>
            Display name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="name"
              maxLength={80}
              required
            />
          </label>
          <label>
            Pronouns <span className="hint">(optional, for example she/her or they/them)</span>
            <input value={pronouns} onChange={(e) => setPronouns(e.target.value)} maxLength={30} />
          </label>
          <fieldset className="swatches">
            <legend>Avatar colour</legend>
            {AVATAR_COLOUR_KEYS.map((key) => (
              <label key={key} className="swatch" title={AVATAR_COLOURS[key].label}>
                <input
                  type="radio"
                  name="avatar-colour"
                  value={key}
                  checked={colour === key}
                  onChange={() => setColour(key)}
                />
                <span
                  className="swatch-dot"
                  style={{ background: AVATAR_COLOURS[key].hex }}
                  aria-hidden="true"
                />
                <span className="visually-hidden">{AVATAR_COLOURS[key].label}</span>
              </label>
            ))}
          </fieldset>
          <ErrorText message={error} />
          {done && (
            <p className="profile-done" role="status">
              {done}
            </p>
          )}
          <div>
            <button type="submit" className="primary" disabled={busy || !dirty}>
              {busy ? 'Saving…' : 'Save profile'}
            </button>
          </div>
        </form>
        <NotificationsCard />
        <NotifyPrefsCard />
        <DeviceStorageCard />
        <PasswordForm />
      </main>
    </div>
  );
}
