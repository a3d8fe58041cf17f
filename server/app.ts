/**
 * The HTTP API as a Hono app (routes in docs/API.md): usable in-process with `app.request` and
 * served on loopback by `serve.ts`.
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { requireToken } from "./auth.ts";
import { limitBody } from "./body.ts";
import { cosignatureRoutes } from "./cosignatures.ts";
import { dashboardRoutes } from "./dashboard.ts";
import type { ApiDeps } from "./deps.ts";
import { errorBody, httpStatusOf, ServerError } from "./errors.ts";
import { requireLoopbackHost } from "./loopback.ts";
import { probeRoutes, statusRoutes } from "./ops.ts";
import { proofRoutes } from "./proofs.ts";
import { receiptRoutes } from "./receipts.ts";
import { recordRoutes } from "./records.ts";

/** Builds the API app over `deps`. */
export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    const status = httpStatusOf(error);
    if (status === 500) console.error("smem serve: internal error:", error);
    if (status === 503) c.header("retry-after", "1");
    return c.json(errorBody(error), status as 400);
  });
  app.notFound((c) =>
    c.json(errorBody(new ServerError("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`)), 404)
  );
  app.use(requireLoopbackHost);
  app.use(secureHeaders({
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      frameAncestors: ["'none'"],
    },
  }));
  const auth = requireToken(deps.token);
  app.use("/v1/*", async (c, next) => {
    if (c.req.method === "GET" && !deps.authReads) return await next();
    return await auth(c, next);
  });
  if (deps.authReads) app.use("/metrics", auth);
  app.use(
    "/v1/*",
    limitBody(deps.maxBodyBytes),
  );
  app.route("/", probeRoutes(deps));
  app.route("/", dashboardRoutes());
  app.route("/v1/records", recordRoutes(deps));
  app.route("/v1/receipts", receiptRoutes(deps));
  app.route("/v1/cosignatures", cosignatureRoutes(deps));
  app.route("/v1", proofRoutes(deps));
  app.route("/v1", statusRoutes(deps));
  return app;
}
