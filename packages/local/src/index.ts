export type { IssueTokenOptions, LocalIssuer, LocalIssuerOptions } from './issuer.js';
export { createLocalIssuer, defaultKeyFile, LOCAL_CLIENT_ID } from './issuer.js';
export type { LocalPresence, LocalPresenceOptions } from './local-presence.js';
export { DEFAULT_CORS_ORIGINS, LOOPBACK_HOSTS, startLocalPresence } from './local-presence.js';
export { DEMO_DIR, demoSeed, loadSeed } from './seed.js';
