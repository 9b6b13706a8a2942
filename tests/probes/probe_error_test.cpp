#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "probes/probe_error.hpp"
#include "probes/subcommand.hpp"

using namespace p2pmon::probes;

TEST_CASE("probe errors: engine error texts map onto the stable codes") {
  auto e = normalizeError("refused: Node-ID in use");
  CHECK(e.code == "refused");
  CHECK(e.message == "Node-ID in use");
  CHECK(normalizeError("timeout").code == "timeout");
  CHECK(normalizeError("timeout").message.empty());
  CHECK(normalizeError("not_found").code == "not_found");
  CHECK(normalizeError("ttl_exceeded").code == "ttl_exceeded");
  CHECK(normalizeError("loop").code == "loop");
  CHECK(normalizeError("not_joined").code == "no_route");
  auto odd = normalizeError("something new: x");
  CHECK(odd.code == "internal");
  CHECK(odd.message == "something new: x");
  CHECK(normalizeError("").code == "internal");
}

TEST_CASE("probe errors: the stderr line leads with the command and the code") {
  CHECK(errorLine("p2pmon-probe diag", {"timeout", "no answer from 127.0.0.1:1 within 5 ms"}) ==
        "p2pmon-probe diag: timeout: no answer from 127.0.0.1:1 within 5 ms");
  CHECK(errorLine("p2pmon-probe get", {"timeout", ""}) == "p2pmon-probe get: timeout");
}

namespace {
int runA(int argc, char** argv) { return argc * 10 + (std::string(argv[0]) == "a" ? 1 : 0); }
int runB(int, char**) { return 7; }
constexpr Subcommand kTable[] = {{"a", "does a", runA}, {"bee", "does b", runB}};

int call(std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream o, e;
  int rc = dispatch("tool", kTable, static_cast<int>(argv.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}
}  // namespace

TEST_CASE("subcommands: the table dispatches by name with the arguments after it") {
  std::string out, err;
  CHECK(call({"tool", "a", "--x", "1"}, out, err) == 31);
  CHECK(call({"tool", "bee"}, out, err) == 7);
  CHECK(call({"tool", "--help"}, out, err) == 0);
  CHECK(out == "Usage: tool COMMAND [options]   (COMMAND -h for its options)\n\n"
               "  a    does a\n  bee  does b\n");
  CHECK(call({"tool", "zzz"}, out, err) == 2);
  CHECK(err == "tool: bad_usage: unknown command 'zzz' (a, bee)\n");
  CHECK(call({"tool"}, out, err) == 2);
  CHECK(err.rfind("tool: bad_usage:", 0) == 0);
}
