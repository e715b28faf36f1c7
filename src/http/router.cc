#include "http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <tuple>

namespace timestore::http {
namespace {

// Splits "/a/b" into {"a","b"}; "/" gives no segment; "/a/" gives {"a",""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path == "/") return out;
  if (path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Route tables are built once at startup from code, so a bad registration is a programmer error
// that must stop the process in every build type (a plain assert vanishes under NDEBUG).
void CheckRoute(bool ok, std::string_view what, std::string_view method, std::string_view pattern) {
  if (ok) return;
  std::fprintf(stderr, "http::Router: %.*s: %.*s %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(method.size()), method.data(),
               static_cast<int>(pattern.size()), pattern.data());
  std::abort();
}

}  // namespace

struct Router::Node {
  struct Route {
    std::string pattern;
    std::vector<std::string> param_names;  // one per ':' segment, in order
    Handler handler;
  };
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literal_children;
  std::unique_ptr<Node> param_child;                 // any non-empty segment
  std::map<std::string, Route, std::less<>> routes;  // by method
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  CheckRoute(!method.empty() && handler != nullptr, "empty method or handler", method, pattern);
  CheckRoute(!pattern.empty() && pattern.front() == '/', "a pattern starts with '/'", method,
             pattern);
  Node* node = root_.get();
  std::vector<std::string> param_names;
  for (std::string_view segment : SplitPath(pattern)) {
    if (!segment.empty() && segment.front() == ':') {
      CheckRoute(segment.size() > 1, "a path parameter needs a name", method, pattern);
      CheckRoute(
          std::find(param_names.begin(), param_names.end(), segment.substr(1)) == param_names.end(),
          "a path parameter name is used twice", method, pattern);
      param_names.emplace_back(segment.substr(1));
      if (!node->param_child) node->param_child = std::make_unique<Node>();
      node = node->param_child.get();
    } else {
      auto it = node->literal_children.find(segment);
      if (it == node->literal_children.end()) {
        it = node->literal_children.emplace(std::string(segment), std::make_unique<Node>()).first;
      }
      node = it->second.get();
    }
  }
  const bool inserted =
      node->routes
          .emplace(std::string(method),
                   Node::Route{std::string(pattern), std::move(param_names), std::move(handler)})
          .second;
  CheckRoute(inserted, "the same method and pattern are registered twice", method, pattern);
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> segments = SplitPath(path);

  // Every node whose pattern matches the path, literal segments explored before parameters, with
  // the raw values of its parameters. Route tables are small and shallow, so exhaustive search is
  // cheap and lets GET /a/new reach "/a/:id" when "/a/new" only has POST.
  struct Candidate {
    const Node* node;
    std::vector<std::string_view> values;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string_view> values;
  auto visit = [&](auto&& self, const Node* node, size_t i) -> void {
    if (i == segments.size()) {
      if (!node->routes.empty()) candidates.push_back({node, values});
      return;
    }
    if (auto it = node->literal_children.find(segments[i]); it != node->literal_children.end()) {
      self(self, it->second.get(), i + 1);
    }
    if (node->param_child && !segments[i].empty()) {
      values.push_back(segments[i]);
      self(self, node->param_child.get(), i + 1);
      values.pop_back();
    }
  };
  visit(visit, root_.get(), 0);

  RouteMatch match;
  auto find_route = [&](std::string_view m) -> std::pair<const Node::Route*, const Candidate*> {
    for (const Candidate& c : candidates) {
      if (auto it = c.node->routes.find(m); it != c.node->routes.end()) return {&it->second, &c};
    }
    return {nullptr, nullptr};
  };
  auto [route, candidate] = find_route(method);
  if (route == nullptr && method == "HEAD") std::tie(route, candidate) = find_route("GET");
  if (route != nullptr) {
    match.kind = RouteMatch::Kind::kFound;
    match.handler = &route->handler;
    match.pattern = route->pattern;
    for (size_t i = 0; i < route->param_names.size(); ++i) {
      std::string_view raw = candidate->values[i];
      std::optional<std::string> decoded = PercentDecode(raw);
      match.params.emplace_back(route->param_names[i],
                                decoded ? std::move(*decoded) : std::string(raw));
    }
    return match;
  }
  if (candidates.empty()) return match;  // kNotFound

  match.kind = RouteMatch::Kind::kMethodNotAllowed;
  match.pattern = candidates.front().node->routes.begin()->second.pattern;
  for (const Candidate& c : candidates) {
    for (const auto& [m, r] : c.node->routes) {
      match.allowed_methods.push_back(m);
      if (m == "GET") match.allowed_methods.emplace_back("HEAD");
    }
  }
  std::sort(match.allowed_methods.begin(), match.allowed_methods.end());
  match.allowed_methods.erase(
      std::unique(match.allowed_methods.begin(), match.allowed_methods.end()),
      match.allowed_methods.end());
  return match;
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto visit = [&](auto&& self, const Node& node) -> void {
    for (const auto& [method, route] : node.routes) out.emplace_back(method, route.pattern);
    for (const auto& [segment, child] : node.literal_children) self(self, *child);
    if (node.param_child) self(self, *node.param_child);
  };
  visit(visit, *root_);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  return out;
}

}  // namespace timestore::http
