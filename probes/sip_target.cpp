#include "probes/sip_target.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace p2pmon::probes {

namespace {

core::Error bad(const std::string& why) { return core::makeError("bad_target", why); }

bool lowerEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

// RFC 3261 hostname characters (alphanum, '-', '.'), or an IPv4 literal.
bool isHostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

bool isIpv6Literal(std::string_view h) {
  return !h.empty() && h.size() <= 45 && std::all_of(h.begin(), h.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
         });
}

// user part: RFC 3261 unreserved and user-unreserved characters, escapes.
bool isUser(std::string_view u) {
  static constexpr std::string_view kExtra = "-_.!~*'()&=+$,;?/%";
  return !u.empty() && u.size() <= 128 && std::all_of(u.begin(), u.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                  kExtra.find(c) != std::string_view::npos;
         });
}

}  // namespace

std::string_view transportName(SipTransport t) { return t == SipTransport::Tcp ? "tcp" : "udp"; }

std::string hostPortText(std::string_view ip, std::uint16_t port) {
  std::string out;
  if (ip.find(':') != std::string_view::npos) {
    out = "[" + std::string(ip) + "]";
  } else {
    out = std::string(ip);
  }
  return out + ":" + std::to_string(port);
}

std::string SipTarget::uri() const {
  std::string out = "sip:";
  if (!user.empty()) out += user + "@";
  out += hostPortText(host, port);
  out += ";transport=";
  out += transportName(transport);
  return out;
}

core::Expected<SipTarget> parseSipTarget(std::string_view text) {
  SipTarget t;
  if (text.size() > 512) return bad("longer than 512 characters");
  if (text.size() < 4 || !lowerEquals(text.substr(0, 4), "sip:")) {
    return bad("'" + std::string(text) + "' is not a sip: URI");
  }
  std::string_view rest = text.substr(4);
  if (rest.find('?') != std::string_view::npos) return bad("URI headers ('?') are not supported");
  std::string_view params;
  if (auto semi = rest.find(';'); semi != std::string_view::npos) {
    // A ';' before '@' belongs to the user part.
    auto at = rest.find('@');
    if (at == std::string_view::npos || semi > at) {
      params = rest.substr(semi + 1);
      rest = rest.substr(0, semi);
    }
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    t.user = std::string(rest.substr(0, at));
    if (!isUser(t.user)) return bad("bad user part '" + t.user + "'");
    rest = rest.substr(at + 1);
  }
  std::string_view portText;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    t.host = std::string(rest.substr(1, close - 1));
    if (!isIpv6Literal(t.host)) return bad("bad IPv6 literal '" + t.host + "'");
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("unexpected text after the IPv6 literal");
      portText = rest.substr(1);
      if (portText.empty()) return bad("empty port");
    }
  } else {
    auto colon = rest.find(':');
    t.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = rest.substr(colon + 1);
      if (portText.empty()) return bad("empty port");
    }
    if (!isHostname(t.host)) return bad("bad host '" + t.host + "'");
  }
  if (!portText.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), value);
    if (ec != std::errc() || end != portText.data() + portText.size() || value < 1 ||
        value > 65535) {
      return bad("bad port '" + std::string(portText) + "' (1..65535)");
    }
    t.port = static_cast<std::uint16_t>(value);
  }
  while (!params.empty()) {
    auto semi = params.find(';');
    auto param = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    auto eq = param.find('=');
    auto name = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (!lowerEquals(name, "transport")) {
      return bad("unsupported URI parameter '" + std::string(param) + "' (only transport)");
    }
    if (lowerEquals(value, "udp")) {
      t.transport = SipTransport::Udp;
    } else if (lowerEquals(value, "tcp")) {
      t.transport = SipTransport::Tcp;
    } else {
      return bad("transport must be udp or tcp, not '" + std::string(value) + "'");
    }
  }
  return t;
}

}  // namespace p2pmon::probes
