// @presence/client as a web app or an MV3 extension sees it: DOM types, no Node types.
import { createPresenceClient } from '@presence/client';

export const create: typeof createPresenceClient = createPresenceClient;
