import { createSignal } from 'solid-js';

/** The dashboard's colour theme: the system's at first, then the person's choice (kept). */
export type Theme = 'light' | 'dark';
const THEME_KEY = 'vibariant:theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const [theme, setTheme] = createSignal<Theme>(initialTheme());

export { theme };

document.documentElement.dataset.theme = theme();

/** Switches between light and dark, and remembers it. */
export function toggleTheme() {
  const next = theme() === 'dark' ? 'light' : 'dark';
  // The page's colours change first: charts read them when the signal tells them to redraw.
  document.documentElement.dataset.theme = next;
  localStorage.setItem(THEME_KEY, next);
  setTheme(next);
}

/** A colour of the current theme (a CSS custom property such as `--muted`). */
export function themeColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
