/** A problem in plain words, announced to screen readers as it appears. Renders nothing without one. */
export function ErrorText({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}
