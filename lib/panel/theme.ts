/** The panel's colour theme, picked once at start and again when DevTools or the system changes theirs. */
export type Theme = 'light' | 'dark';

/** Picks the theme: an explicit `?theme=`, then DevTools' theme, then the system's. */
export function resolveTheme(param: string | null, devtoolsThemeName: string | undefined, prefersDark: boolean): Theme {
  if (param === 'dark' || param === 'light') return param;
  if (devtoolsThemeName !== undefined) return devtoolsThemeName === 'dark' ? 'dark' : 'light';
  return prefersDark ? 'dark' : 'light';
}
