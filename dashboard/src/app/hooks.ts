// Small hooks: load data with reload on demand, a ticking clock, live-event driven reloads.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { subscribe, type LiveKind } from './live.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({
    loading: true,
  });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (mine === generation.current) {
          setState((s) => ({ ...s, error: (error as Error).message, loading: false }));
        }
      },
    );
  }, deps);
  useEffect(run, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

/** Calls `reload` (at most every `minGapMs`) when a live event of `kinds` arrives. */
export function useLive(kinds: LiveKind[], reload: () => void, minGapMs = 1000): void {
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    const unsubscribe = subscribe((event) => {
      if (!kinds.includes(event.kind)) return;
      const waitMs = last.current + minGapMs - Date.now();
      if (waitMs <= 0) {
        last.current = Date.now();
        reload();
      } else if (pending.current === undefined) {
        pending.current = setTimeout(() => {
          pending.current = undefined;
          last.current = Date.now();
          reload();
        }, waitMs);
      }
    });
    return () => {
      unsubscribe();
      if (pending.current !== undefined) clearTimeout(pending.current);
    };
  }, [reload, minGapMs, kinds.join()]);
}

/** Unix seconds, updated every second. */
export function useNowS(): number {
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const timer = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
