/**
 * A random UUID (version 4) in every context. `crypto.randomUUID` exists only in secure contexts, so a content
 * script on a plain-http page (`http://myapp.test`, a LAN address) threw at start and captured nothing;
 * `crypto.getRandomValues` has no such restriction (https://w3c.github.io/webcrypto/#crypto-interface).
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
