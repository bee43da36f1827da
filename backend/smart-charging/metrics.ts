// The charging groups' metrics: what each group may draw, what its sessions were given, how many charge and how
// many wait, and how often the limit was divided again. Only the instance deciding for a group (its lease holder)
// sets its series; ocpp_edge_group_leader says which one that is.

import { Counter, Gauge, type Registry } from 'prom-client';

export interface GroupMetrics {
  /** The group's limit, in its unit. */
  limit: Gauge<'group' | 'unit'>;
  /** Sum of the limits given to its sessions (paused ones' pause limits included), in its unit. */
  allocated: Gauge<'group' | 'unit'>;
  /** Its running sessions: charging (given at least the minimum) or paused. */
  sessions: Gauge<'group' | 'state'>;
  rebalances: Counter<'group'>;
  /** TxProfiles and TxDefaultProfiles pushed, by the charger's answer (Failed: none). */
  pushes: Counter<'group' | 'result'>;
  /** 1 while this instance decides for the group. */
  leader: Gauge<'group'>;
}

export function createGroupMetrics(registry: Registry): GroupMetrics {
  const registers = [registry];
  return {
    limit: new Gauge({
      name: 'ocpp_edge_group_limit',
      help: "A charging group's limit",
      labelNames: ['group', 'unit'],
      registers,
    }),
    allocated: new Gauge({
      name: 'ocpp_edge_group_allocated',
      help: "Sum of the limits given to a charging group's sessions",
      labelNames: ['group', 'unit'],
      registers,
    }),
    sessions: new Gauge({
      name: 'ocpp_edge_group_sessions',
      help: "A charging group's running sessions, charging or paused",
      labelNames: ['group', 'state'],
      registers,
    }),
    rebalances: new Counter({
      name: 'ocpp_edge_group_rebalances_total',
      help: "Times a charging group's limit was divided over its sessions",
      labelNames: ['group'],
      registers,
    }),
    pushes: new Counter({
      name: 'ocpp_edge_group_profile_pushes_total',
      help: 'Charging profiles pushed by the group balancer, by the charger answer',
      labelNames: ['group', 'result'],
      registers,
    }),
    leader: new Gauge({
      name: 'ocpp_edge_group_leader',
      help: '1 while this backend instance decides for the charging group',
      labelNames: ['group'],
      registers,
    }),
  };
}
