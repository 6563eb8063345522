/** The panel's colour theme, picked once at start and again when DevTools, the system or the user's setting change. */
export type Theme = 'light' | 'dark';

/** The Settings choice: follow DevTools (or the system, in a tab), or always light or dark. */
export type ThemeOverride = 'devtools' | Theme;

export function isThemeOverride(value: unknown): value is ThemeOverride {
  return value === 'devtools' || value === 'light' || value === 'dark';
}

/**
 * Picks the theme: an explicit `?theme=` (screenshots and tests), then the user's setting, then DevTools' theme,
 * then the system's.
 */
export function resolveTheme(param: string | null, devtoolsThemeName: string | undefined, prefersDark: boolean, override: ThemeOverride = 'devtools'): Theme {
  if (param === 'dark' || param === 'light') return param;
  if (override !== 'devtools') return override;
  if (devtoolsThemeName !== undefined) return devtoolsThemeName === 'dark' ? 'dark' : 'light';
  return prefersDark ? 'dark' : 'light';
}
