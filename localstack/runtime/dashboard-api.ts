/** The template's dashboard-api function, invoked in its sandbox: where the offline dashboard server sends `/api/*`. */
import type { FunctionUrlResult } from "../../dashboard/api/types.ts";
import type { ApiInvoker } from "../../dashboard/local-server/server.ts";
import type { LocalRuntime } from "./runtime.ts";

export function dashboardApiInvoker(runtime: LocalRuntime): ApiInvoker {
  const functionName = runtime.functionNameOf("dashboard-api");
  return (event) => runtime.invoke<FunctionUrlResult>(functionName, event);
}
