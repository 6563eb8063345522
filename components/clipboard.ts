/**
 * Copies text. DevTools panels usually may not use the async Clipboard API (no focus or permission policy in
 * the panel's frame), so a selected textarea with execCommand('copy') is the fallback.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    // eslint-disable-next-line no-restricted-properties -- the panel is an extension page, a secure context
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    try {
      return document.execCommand('copy');
    } finally {
      area.remove();
    }
  }
}
