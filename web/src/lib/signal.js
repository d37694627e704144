// A value components re-render on: the smallest store the pages need (one language, one
// session), kept here instead of pulling in a state library.
import { useEffect, useState } from 'preact/hooks';

export function signal(initial) {
  const listeners = new Set();
  let value = initial;
  return {
    get value() {
      return value;
    },
    set value(next) {
      value = next;
      for (const listener of listeners) listener(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/// The signal's value, re-rendering the component when it changes.
export function useSignal(store) {
  const [, setValue] = useState(store.value);
  useEffect(() => store.subscribe(setValue), [store]);
  return store.value;
}
