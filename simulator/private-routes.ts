/**
 * The route table of Kraken's private REST API: every method is a POST to
 * `/0/private/<Method>` that must pass Kraken's key, signature and nonce
 * checks (see `signing.ts`) before its handler runs.
 *
 * Served: Balance, BalanceEx, TradeBalance, AddOrder, QueryOrders,
 * OpenOrders, ClosedOrders, CancelOrder, CancelAll, CancelAllOrdersAfter.
 * Any other private method gets `EGeneral:Unknown method`.
 *
 * @module
 */

import { balanceExReply, balanceReply, tradeBalanceReply } from "./private-account-routes.ts";
import {
  addOrderReply,
  cancelAllAfterReply,
  cancelAllReply,
  cancelOrderReply,
  closedOrdersReply,
  openOrdersReply,
  queryOrdersReply,
} from "./private-order-routes.ts";
import { parsePrivateBody, PRIVATE_PREFIX } from "./private-params.ts";
import {
  INVALID_ARGUMENTS,
  krakenError,
  type Route,
  type SimReply,
  type SimRequest,
  type SimulatorState,
} from "./routes.ts";
import type { PrivateAuthenticator } from "./signing.ts";

/** Handles one authenticated private request. */
type PrivateHandler = (params: URLSearchParams, request: SimRequest) => SimReply;

/** Routes for every private method the simulator serves. */
export function privateRoutes(state: SimulatorState, auth: PrivateAuthenticator): Route[] {
  const handlers: Record<string, PrivateHandler> = {
    Balance: () => balanceReply(state),
    BalanceEx: () => balanceExReply(state),
    TradeBalance: (params) => tradeBalanceReply(state, params),
    AddOrder: (params, request) => addOrderReply(state, params, request),
    QueryOrders: (params) => queryOrdersReply(state, params),
    OpenOrders: (params) => openOrdersReply(state, params),
    ClosedOrders: (params) => closedOrdersReply(state, params),
    CancelOrder: (params) => cancelOrderReply(state, params),
    CancelAll: () => cancelAllReply(state),
    CancelAllOrdersAfter: (params) => cancelAllAfterReply(state, params),
  };
  return Object.entries(handlers).map(([name, handler]) => ({
    method: "POST",
    path: `${PRIVATE_PREFIX}${name}`,
    handle: (request) => authenticated(auth, request, handler),
  }));
}

/** Runs `handler` when the request passes authentication, else replies Kraken's auth error. */
function authenticated(
  auth: PrivateAuthenticator,
  request: SimRequest,
  handler: PrivateHandler,
): SimReply {
  const contentType = request.headers["content-type"];
  const params = parsePrivateBody(
    request.body,
    Array.isArray(contentType) ? contentType[0] : contentType,
  );
  const problem = auth.authenticate({
    path: request.path,
    body: request.body,
    nonce: params?.get("nonce") ?? undefined,
    headers: request.headers,
  });
  if (problem !== undefined) return krakenError([problem]);
  if (params === undefined) return krakenError([INVALID_ARGUMENTS]);
  return handler(params, request);
}
