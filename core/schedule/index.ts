export * from "./cron.ts";
export * from "./expression.ts";
export * from "./timezone.ts";
