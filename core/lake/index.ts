export * from "./keys.ts";
export * from "./list-keys.ts";
export * from "./ndjson.ts";
export * from "./s3-event.ts";
