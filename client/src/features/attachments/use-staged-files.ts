import { useEffect, useRef, useState } from 'react';
import { admitFiles, knownMaxFileBytes, refreshMaxFileBytes } from './file-limits.ts';

export type Staged = { key: number; file: File; preview: string | null };

/**
 * Files chosen for the next message (picked, photographed, pasted or dropped), with image previews.
 * Refuses, in plain words, files over the server's limit and more than ten.
 */
export function useStagedFiles() {
  const [staged, setStaged] = useState<Staged[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const next = useRef(0);
  const max = useRef(knownMaxFileBytes());
  useEffect(() => {
    void refreshMaxFileBytes().then((n) => (max.current = n));
  }, []);
  // Previews are object URLs: released when a file leaves and when the composer goes.
  const live = useRef(staged);
  live.current = staged;
  useEffect(
    () => () => {
      for (const s of live.current) if (s.preview) URL.revokeObjectURL(s.preview);
    },
    [],
  );
  return {
    staged,
    problem,
    add(files: readonly File[]) {
      const { ok, problem } = admitFiles(live.current.length, files, max.current);
      setProblem(problem);
      if (ok.length === 0) return;
      const added = ok.map((file) => ({
        key: next.current++,
        file,
        preview: file.type.startsWith('image/') ? URL.createObjectURL(file) : null,
      }));
      setStaged((s) => [...s, ...added]);
    },
    remove(key: number) {
      const gone = live.current.find((s) => s.key === key);
      if (gone?.preview) URL.revokeObjectURL(gone.preview);
      setStaged((s) => s.filter((x) => x.key !== key));
      setProblem(null);
    },
    /**
     * After a send: these files now live in the queue (their previews go with the chips); any added while
     * they were being saved stay.
     */
    drop(keys: readonly number[]) {
      const gone = new Set(keys);
      for (const s of live.current) if (gone.has(s.key) && s.preview) URL.revokeObjectURL(s.preview);
      setStaged((now) => now.filter((s) => !gone.has(s.key)));
      setProblem(null);
    },
  };
}

export type StagedFiles = ReturnType<typeof useStagedFiles>;
