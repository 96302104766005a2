/** Small hooks shared by the views. */
import { useEffect, useState } from 'preact/hooks';

/** A re-render every `ms` (for "5 min ago" texts). */
export function useTick(ms: number): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return n;
}
