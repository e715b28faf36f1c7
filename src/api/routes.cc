#include "api/routes.h"

#include "common/json_writer.h"

namespace timestore::api {

void AddVersionedRoute(http::Router& router, std::string_view method, std::string_view pattern,
                       const http::Handler& handler) {
  router.Add(method, pattern, handler);
  router.Add(method, "/v1" + std::string(pattern), handler);
}

void AddOperationalRoutes(http::Router& router, const OperationalRoutes& routes) {
  router.Add("GET", "/health", [version = routes.version](const http::Request&) {
    common::JsonWriter w;
    w.BeginObject().Key("status").String("ok").Key("version").String(version).EndObject();
    return http::Response::Json(w.TakeBuffer());
  });
  router.Add("GET", "/ready", [readiness = routes.readiness](const http::Request&) {
    const common::Status st = readiness();
    common::JsonWriter w;
    w.BeginObject();
    if (st.ok()) {
      w.Key("status").String("ready");
    } else {
      w.Key("status").String("unavailable").Key("reason").String(st.message());
    }
    w.EndObject();
    return http::Response::Json(w.TakeBuffer(), st.ok() ? 200 : 503);
  });
  router.Add("GET", "/metrics",
             Secured(routes.access, {Permission::kMetrics, ""},
                     [render = routes.render_metrics](const http::Request&) {
                       http::Response r;
                       r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                       r.body = render();
                       return r;
                     }));
}

}  // namespace timestore::api
