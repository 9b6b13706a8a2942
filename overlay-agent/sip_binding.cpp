#include "overlay-agent/sip_binding.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "overlay-agent/record_store.hpp"

namespace p2pmon::overlay::sip {

namespace {
constexpr std::string_view kRegistrarPrefix = "registrar:";
// A removal must outlive the copies it overrides; when the removed binding
// is not known (already gone here) it lives this long.
constexpr std::uint32_t kMinRemovalSeconds = 60;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isMarker(const Entry& e) { return e.key == kRegisteredKey; }

// Storage time of a new version of `key`: now, but always after the
// version it replaces (two REGISTERs in one millisecond still order).
std::uint64_t nextStorageTime(const std::map<std::string, std::uint64_t>& seen,
                              const std::string& key, std::int64_t nowMs) {
  auto t = static_cast<std::uint64_t>(nowMs);
  if (auto it = seen.find(key); it != seen.end()) t = std::max(t, it->second + 1);
  return t;
}

std::uint32_t remainingOf(const Entry& e, std::int64_t nowMs) {
  const auto end = static_cast<std::int64_t>(e.storageTime) + std::int64_t{e.lifetime} * 1000;
  return end <= nowMs ? 0U : static_cast<std::uint32_t>((end - nowMs + 999) / 1000);
}

RegisterPlan refuse(int status, std::string phrase) {
  RegisterPlan p;
  p.status = status;
  p.phrase = std::move(phrase);
  return p;
}
}  // namespace

std::int64_t Binding::remainingSeconds(std::int64_t nowMs) const {
  return expiresAtMs <= nowMs ? 0 : (expiresAtMs - nowMs + 999) / 1000;
}

std::vector<Binding> bindingsOf(const Record& record, std::int64_t nowMs) {
  std::vector<Binding> out;
  for (const Entry& e : record.entries) {
    if (!e.exists || isMarker(e) || isExpired(e, nowMs)) continue;
    Binding b;
    b.contact = e.key;
    for (const auto& v : e.values) {
      if (v.starts_with(kRegistrarPrefix)) {
        b.registrar = v.substr(kRegistrarPrefix.size());
      } else if (b.transport.empty()) {
        b.transport = v;
      }
    }
    b.storageTime = e.storageTime;
    b.expiresAtMs = static_cast<std::int64_t>(e.storageTime) + std::int64_t{e.lifetime} * 1000;
    out.push_back(std::move(b));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Binding& a, const Binding& b) { return a.storageTime > b.storageTime; });
  return out;
}

RegisterPlan planRegister(const RegisterRequest& req, const std::optional<Record>& current,
                          const RegisterLimits& limits) {
  RegisterPlan plan;
  plan.update.kind = RecordKind::UserLocation;
  plan.update.name = req.aor;
  const std::int64_t now = req.nowMs;

  std::map<std::string, std::uint64_t> seen;  // storage times of the live entries
  std::map<std::string, Entry> live;          // bindings by contact
  const Entry* marker = nullptr;
  if (current) {
    for (const Entry& e : current->entries) {
      seen[e.key] = e.storageTime;
      if (!e.exists || isExpired(e, now)) continue;
      if (isMarker(e)) {
        marker = &e;
      } else {
        live[e.key] = e;
      }
    }
  }
  auto removal = [&](const std::string& key, std::uint32_t seconds) {
    Entry r;
    r.key = key;
    r.exists = false;
    r.storageTime = nextStorageTime(seen, key, now);
    r.lifetime = std::max(seconds, kMinRemovalSeconds);
    plan.update.entries.push_back(std::move(r));
  };

  bool removedAny = false;
  if (req.wildcard) {
    // RFC 3261 §10.3 step 6: "*" only alone and only with Expires: 0.
    if (!req.contacts.empty() || req.expiresHeader != 0) {
      return refuse(400, "Invalid Contact: * (needs Expires: 0 and no other contact)");
    }
    for (const auto& [key, e] : live) removal(key, remainingOf(e, now));
    removedAny = true;
    live.clear();
  }

  for (const ContactRequest& c : req.contacts) {
    std::int64_t expires = c.expires >= 0 ? c.expires
                           : req.expiresHeader >= 0 ? req.expiresHeader
                                                    : limits.defaultExpires;
    if (expires == 0) {
      auto it = live.find(c.contact);
      removal(c.contact, it == live.end() ? 0 : remainingOf(it->second, now));
      if (it != live.end()) live.erase(it);
      removedAny = true;
      continue;
    }
    if (expires < limits.minExpires) {
      auto p = refuse(423, "Interval Too Brief");
      return p;
    }
    expires = std::min<std::int64_t>(expires, limits.maxExpires);
    Entry e;
    e.key = c.contact;
    e.values = {c.transport, std::string(kRegistrarPrefix) + req.registrar};
    e.storageTime = nextStorageTime(seen, c.contact, now);
    e.lifetime = static_cast<std::uint32_t>(expires);
    live[c.contact] = e;
    plan.update.entries.push_back(std::move(e));
  }
  if (live.size() > kMaxBindings) {
    return refuse(403, "Too Many Contacts (at most " + std::to_string(kMaxBindings) + ")");
  }

  if (!plan.update.entries.empty()) {
    if (!live.empty()) {
      std::uint32_t longest = 0;
      for (const auto& [key, e] : live) longest = std::max(longest, remainingOf(e, now));
      Entry m;
      m.key = std::string(kRegisteredKey);
      m.values = {std::string(kRegistrarPrefix) + req.registrar};
      m.storageTime = nextStorageTime(seen, m.key, now);
      m.lifetime = longest + kExpiredMemorySeconds;
      plan.update.entries.push_back(std::move(m));
    } else if (removedAny && marker != nullptr) {
      removal(std::string(kRegisteredKey), remainingOf(*marker, now));
    }
  }

  Record after;
  for (auto& [key, e] : live) after.entries.push_back(e);
  plan.bindings = bindingsOf(after, now);
  return plan;
}

RouteTarget chooseTarget(const std::optional<Record>& record, std::int64_t nowMs) {
  RouteTarget t;
  if (record) {
    auto bindings = bindingsOf(*record, nowMs);
    if (!bindings.empty()) {
      t.binding = std::move(bindings.front());
      return t;
    }
    for (const Entry& e : record->entries) {
      if (isMarker(e) && e.exists && !isExpired(e, nowMs)) {
        t.status = 480;
        t.phrase = "Temporarily Unavailable (registration expired)";
        return t;
      }
    }
  }
  t.status = 404;
  t.phrase = "Not Found (no registration)";
  return t;
}

std::optional<std::string> canonicalAor(std::string_view user, std::string_view host) {
  if (user.empty() || host.empty()) return std::nullopt;
  return "sip:" + std::string(user) + "@" + lower(host);
}

bool sameHost(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

}  // namespace p2pmon::overlay::sip
