export * from "./build.ts";
export * from "./decode.ts";
export * from "./errors.ts";
export * from "./parse.ts";
export type * from "./types.ts";
