// The one-time setup link is /setup#<token>: the token stays in the fragment, so it never reaches logs.
const token = location.pathname === '/setup' ? location.hash.slice(1) : '';
const section = document.getElementById('setup');
if (token && section) {
  section.hidden = false;
  const form = document.getElementById('setup-form');
  const status = document.getElementById('setup-status');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    status.textContent = 'Creating your account…';
    const res = await fetch('/api/auth/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...data, token }),
    });
    const body = await res.json().catch(() => ({}));
    status.textContent = res.ok
      ? 'Done. You are signed in as the first super admin.'
      : body.message || 'That did not work.';
  });
}
