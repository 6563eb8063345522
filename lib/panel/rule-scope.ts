/**
 * Where an intercept rule applies, as the panel offers and shows it (issue #9 §2). A rule belongs to the site it
 * was made for: a new rule's scope is the origin of the inspected tab's page, "All sites" ('*') only when the user
 * picks it or there is no page to take an origin from. Rules saved before scopes existed have none: all sites.
 */
import type { InterceptRule } from '../shared/intercept-rules';

export const ALL_SITES = '*';

/** The origin of a page URL a rule can be scoped to (http, https or file pages); undefined for others. */
export function pageOrigin(pageUrl: string | undefined): string | undefined {
  if (!pageUrl) return undefined;
  try {
    const url = new URL(pageUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** The scope of a new rule made while a page of `pageUrl` is inspected. */
export function defaultScope(pageUrl: string | undefined): string {
  return pageOrigin(pageUrl) ?? ALL_SITES;
}

/** Whether a rule applies to every site (no scope: made before scopes existed). */
export function isAllSites(scope: string | undefined): boolean {
  return scope === undefined || scope === '' || scope === ALL_SITES;
}

/** The rules view's words: "Applies to https://a.example" or "All sites". */
export function scopeText(rule: Pick<InterceptRule, 'scope'>): string {
  return isAllSites(rule.scope) ? 'All sites' : `Applies to ${rule.scope}`;
}
