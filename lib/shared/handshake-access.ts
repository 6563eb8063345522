/**
 * What the user grants, from the panel, to see WebSocket handshakes without DevTools' network log (issue #21 §3):
 * webRequest (no warning of its own) and host access to every site (the socket's, and its page's). Optional in the
 * manifest, asked for when the user first asks for a handshake, never at install; taken back from Settings.
 */
export const HANDSHAKE_ACCESS: { permissions: ['webRequest']; origins: string[] } = { permissions: ['webRequest'], origins: ['<all_urls>'] };
