// Where the cluster's shared state lives in Redis. Everything is under one prefix so a Redis shared with other
// applications stays readable (`redis-cli --scan --pattern 'ocpp-edge:*'`).

const PREFIX = 'ocpp-edge:';

export const keys = {
  /** Hash: charge point id → "instanceId claimSequence connectedAtMs" of the instance holding its WebSocket. */
  presence: `${PREFIX}presence`,
  /** Counter giving every claim a cluster-wide order, so "which connection is newer" needs no synchronised clocks. */
  claimSequence: `${PREFIX}presence:sequence`,
  /** Prefix of each instance's lease key (string with a PX expiry, refreshed by the instance's heartbeat). */
  instancePrefix: `${PREFIX}instance:`,
  instance: (instanceId: string) => `${PREFIX}instance:${instanceId}`,
  /** Pub/sub channel on which an instance receives routed commands, their answers and take-overs. */
  channel: (instanceId: string) => `${PREFIX}instance:${instanceId}:inbox`,
  /** String with a PX expiry: the instance deciding for a charging group (backend/smart-charging/). */
  groupLease: (groupId: string) => `${PREFIX}group-lease:${groupId}`,
};
