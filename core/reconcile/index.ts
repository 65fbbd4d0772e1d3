/** Counts per stage and the reconcile verdict (see README.md for the JSON report). */
export { describeIssue, formatReport } from "./format.ts";
export { type OffsetRange, OffsetSet } from "./offset-set.ts";
export {
  exitStatus,
  type ReconcileOptions,
  type ReconcileReport,
  reconcile,
  type TopicLocation,
  topicLocations,
} from "./reconcile.ts";
export {
  type Issue,
  type IssueKind,
  reconcileTopic,
  type StageData,
  type TopicReconciliation,
} from "./verdict.ts";
