/** The offline Altcraft API simulator (campaigns/list, campaigns/get_status, campaigns/log_v2). */
export {
  type AltcraftSimulator,
  type BurstInput,
  type LogRowInput,
  type NewCampaignInput,
  startAltcraftSimulator,
  type TimeInput,
} from "./altcraft.simulator.js";
export {
  ALTCRAFT_METHODS,
  ALTCRAFT_SIMULATOR_DEFAULTS,
  type AltcraftMethod,
  type AltcraftRuntimeOptions,
  type AltcraftSimulatorOptions,
  type AltcraftTokenGrant,
  CAMPAIGN_TYPES,
  type CampaignType,
  DEFAULT_TOKEN,
  resolveOptions,
  type ResolvedRuntimeOptions,
} from "./altcraft.options.js";
export type { CampaignState, CampaignView, NewCampaign } from "./altcraft.campaigns.js";
export type { LogLevel, LogRow, LogState } from "./altcraft.log-store.js";
export { goDuration } from "./altcraft.runs.js";
export { parseTimestamp } from "./altcraft.codec.js";
