#include "collector/store_writer.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "collector/store_schema.hpp"
#include "core/perfdata.hpp"

namespace p2pmon::collector {

namespace {
// Bound on the in-memory shape cache; cleared (not evicted) when full, since
// a miss only costs a few upserts that change nothing.
constexpr std::size_t kMaxKnownShapes = 1'000'000;
// History rows go in as multi-row INSERTs: the statement overhead (step,
// reset, statement journal) is shared by the rows.
constexpr std::size_t kResultsPerInsert = 32;
constexpr int kResultColumns = 7;

std::string multiRowResultInsert() {
  std::string sql =
      "INSERT INTO results(service_id, state, output, perfdata, time, received, source) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)";
  for (std::size_t i = 1; i < kResultsPerInsert; ++i) sql += ", (?, ?, ?, ?, ?, ?, ?)";
  return sql;
}

void bindResult(Statement& st, int first, std::int64_t serviceId, const core::CheckResult& r,
                double received) {
  st.bind(first, serviceId).bind(first + 1, static_cast<int>(r.state));
  st.bindRef(first + 2, r.output).bindRef(first + 3, r.perfdata).bind(first + 4, r.time);
  st.bind(first + 5, received).bindRef(first + 6, r.source);
}

// Appends to `key` what decides which series a perfdata text registers:
// each item's label, unit and whether its value is 'U', split into items as
// core::PerfdataScanner splits them, without parsing numbers or thresholds.
// Only texts that then parse strictly have their shape remembered.
void appendPerfdataShape(std::string_view text, std::string& key) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= n) break;
    std::size_t from = i;
    if (text[i] == '\'') {
      for (++i; i < n; ++i) {
        if (text[i] != '\'') continue;
        if (i + 1 < n && text[i + 1] == '\'') {
          ++i;
          continue;
        }
        ++i;
        break;
      }
    }
    while (i < n && text[i] != '=' && text[i] != ' ') ++i;
    key.append(text.substr(from, i - from)).push_back('\0');
    if (i >= n || text[i] != '=') continue;
    from = ++i;
    while (i < n && text[i] != ';' && text[i] != ' ') ++i;
    std::string_view value = text.substr(from, i - from);
    std::size_t k = value.size();
    while (k > 0 && ((value[k - 1] >= 'a' && value[k - 1] <= 'z') ||
                     (value[k - 1] >= 'A' && value[k - 1] <= 'Z') || value[k - 1] == '%')) {
      --k;
    }
    key.push_back(!value.empty() && value.front() == 'U' ? 'U' : 'v');
    key.append(value.substr(k)).push_back('\0');
    while (i < n && text[i] != ' ') ++i;
  }
}

Database& migrated(Database& db) {
  migrate(db);
  return db;
}
}  // namespace

StoreWriter::StoreWriter(const std::string& path)
    : db_(path, false),
      insertResult_(migrated(db_).prepare(
          "INSERT INTO results(service_id, state, output, perfdata, time, received, source) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
      insertResults_(db_.prepare(multiRowResultInsert())),
      // A new service's row is inserted empty, for its id (the history's
      // service key), and filled in by updateCurrent_ in the same
      // transaction: no reader sees the placeholder.
      insertCurrent_(db_.prepare(
          "INSERT INTO current(host, service, state, severity, output, perfdata, last_check, "
          "  last_state_change, source, result_id) "
          "VALUES(?1, ?2, 0, 0, '', '', 0, 0, '', 0)")),
      // Rows are computed in current_ (which applies the rule that an older
      // result does not replace the current one), so they are plain writes.
      updateCurrent_(
          db_.prepare("UPDATE current SET state = ?1, severity = ?2, output = ?3, perfdata = ?4, "
                      "  last_check = ?5, last_state_change = ?6, source = ?7, result_id = ?8 "
                      "WHERE id = ?9")),
      replaceHost_(
          db_.prepare("INSERT OR REPLACE INTO hosts(host, worst_severity, last_check, services) "
                      "VALUES(?1, ?2, ?3, ?4)")),
      upsertSeries_(
          db_.prepare("INSERT INTO series(host, service, label, uom) VALUES(?1, ?2, ?3, ?4) "
                      "ON CONFLICT(host, service, label) DO UPDATE SET uom = excluded.uom "
                      "WHERE uom != excluded.uom")),
      // On results_by_service(service_id, time).
      findDuplicate_(db_.prepare(
          "SELECT 1 FROM results WHERE service_id = ?1 AND time = ?2 AND state = ?3 "
          "  AND output = ?4 AND perfdata = ?5 AND source = ?6 LIMIT 1")) {
  // Writer-side tuning; durability is unchanged (WAL + synchronous=NORMAL,
  // set in migrate()). A 64 MiB page cache keeps a big group commit's dirty
  // pages in memory instead of spilling them into the WAL mid-transaction,
  // and checkpointing every 10,000 WAL pages (~40 MB) instead of SQLite's
  // 1,000 copies the hot index pages back into the database ~10x less often.
  db_.exec("PRAGMA cache_size=-65536");
  db_.exec("PRAGMA wal_autocheckpoint=10000");
  loadCurrent();
}

void StoreWriter::loadCurrent() {
  current_.clear();
  auto st = db_.prepare(
      "SELECT host, service, id, state, severity, last_check, last_state_change FROM current");
  while (st.step()) {
    CurrentRow row;
    row.id = st.int64(2);
    row.state = static_cast<int>(st.int64(3));
    row.severity = static_cast<int>(st.int64(4));
    row.lastCheck = st.real(5);
    row.lastStateChange = st.real(6);
    current_.put(st.textView(0), st.textView(1), row);
  }
  currentLoaded_ = true;
}

// Perfdata that does not parse registers nothing (and yields no points on
// reading); 'U' values are not points either.
void StoreWriter::registerSeries(const core::CheckResult& r) {
  if (r.perfdata.empty()) return;
  std::string& key = shapeKey_;
  key.clear();
  key.append(r.host).push_back('\0');
  key.append(r.service).push_back('\0');
  appendPerfdataShape(r.perfdata, key);
  if (knownShapes_.contains(key)) return;
  std::vector<core::PerfItemView> items;
  core::PerfdataScanner scan(r.perfdata);
  for (core::PerfItemView item; scan.next(item);) {
    if (item.value) items.push_back(item);
  }
  if (scan.failed()) return;
  for (const auto& p : items) {
    const std::string label = p.labelText();
    upsertSeries_.bindRef(1, r.host).bindRef(2, r.service).bindRef(3, label).bindRef(4, p.uom);
    upsertSeries_.step();
    upsertSeries_.reset();
  }
  if (knownShapes_.size() >= kMaxKnownShapes) knownShapes_.clear();
  knownShapes_.insert(key);
}

std::int64_t StoreWriter::append(std::span<const core::CheckResult> results, double received) {
  try {
    return appendOrThrow(results, received);
  } catch (...) {
    // The transaction rolled back: statements must be reset before reuse,
    // series registered inside it are gone again, and current_ holds states
    // the table does not (reloaded before the next batch).
    for (Statement* st : {&insertResult_, &insertResults_, &insertCurrent_, &updateCurrent_,
                          &replaceHost_, &upsertSeries_, &findDuplicate_}) {
      st->reset();
    }
    knownShapes_.clear();
    currentLoaded_ = false;
    throw;
  }
}

// The current row of every result, inserted first (empty) for a service
// not seen before: its id is the history rows' service key.
void StoreWriter::findRows(std::span<const core::CheckResult> results) {
  rows_.resize(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    CurrentRow& row = current_.row(r.host, r.service);
    if (row.id == 0) {
      insertCurrent_.bindRef(1, r.host).bindRef(2, r.service);
      insertCurrent_.step();
      insertCurrent_.reset();
      row.id = db_.lastInsertId();
    }
    rows_[i] = &row;
  }
}

bool StoreWriter::isStored(std::int64_t serviceId, const core::CheckResult& r) {
  findDuplicate_.bind(1, serviceId).bind(2, r.time).bind(3, static_cast<int>(r.state));
  findDuplicate_.bindRef(4, r.output).bindRef(5, r.perfdata).bindRef(6, r.source);
  const bool found = findDuplicate_.step();
  findDuplicate_.reset();
  return found;
}

namespace {
std::string batchKey(std::int64_t serviceId, const core::CheckResult& r) {
  std::string key = std::to_string(serviceId);
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(&r.time), sizeof r.time);
  key.push_back(static_cast<char>(r.state));
  // Lengths first: no text can pass for another's end and the next's start.
  for (const std::string* s : {&r.output, &r.perfdata, &r.source}) {
    key.append(std::to_string(s->size())).push_back(':');
    key.append(*s);
  }
  return key;
}
}  // namespace

// An agent that got no reply to a batch the store committed sends it again.
// A result no newer than its service's newest one, in the store or earlier
// in this batch, is skipped when an identical one (time, state, output,
// perfdata, source) is stored or earlier in the batch. Newer results, the
// common case, cost two comparisons and no query. Returns true when some
// were skipped: kept_ then holds the others and rows_ matches it.
bool StoreWriter::dropDuplicates(std::span<const core::CheckResult> results) {
  duplicates_ = 0;
  ++dedupPass_;
  bool indexed = false;  // batchKeys_ holds the keys of results[0, i)
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    CurrentRow& row = *rows_[i];
    const bool seen = row.seenPass == dedupPass_;
    bool duplicate = row.applied && r.time <= row.lastCheck && isStored(row.id, r);
    if (!duplicate && seen && r.time <= row.seenTime) {
      if (!indexed) {
        batchKeys_.clear();
        for (std::size_t j = 0; j < i; ++j) batchKeys_.insert(batchKey(rows_[j]->id, results[j]));
        indexed = true;
      }
      duplicate = batchKeys_.contains(batchKey(row.id, r));
    }
    if (indexed && !duplicate) batchKeys_.insert(batchKey(row.id, r));
    if (!seen || r.time > row.seenTime) row.seenTime = r.time;
    row.seenPass = dedupPass_;
    if (!duplicate) continue;
    if (duplicates_++ == 0) duplicate_.assign(results.size(), 0);
    duplicate_[i] = 1;
  }
  if (indexed) batchKeys_.clear();
  if (duplicates_ == 0) return false;
  kept_.clear();
  std::size_t n = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (duplicate_[i]) continue;
    kept_.push_back(results[i]);
    rows_[n++] = rows_[i];
  }
  rows_.resize(n);
  return true;
}

// History ids: a multi-row INSERT gives its rows consecutive ids (each new
// rowid is the largest so far plus one; this writer is the only one).
void StoreWriter::insertHistory(std::span<const core::CheckResult> results, double received) {
  ids_.resize(results.size());
  std::size_t i = 0;
  for (; i + kResultsPerInsert <= results.size(); i += kResultsPerInsert) {
    for (std::size_t j = 0; j < kResultsPerInsert; ++j) {
      bindResult(insertResults_, 1 + static_cast<int>(j) * kResultColumns, rows_[i + j]->id,
                 results[i + j], received);
    }
    insertResults_.step();
    insertResults_.reset();
    const std::int64_t last = db_.lastInsertId();
    for (std::size_t j = 0; j < kResultsPerInsert; ++j) {
      ids_[i + j] = last - static_cast<std::int64_t>(kResultsPerInsert - 1 - j);
    }
  }
  for (; i < results.size(); ++i) {
    bindResult(insertResult_, 1, rows_[i]->id, results[i], received);
    insertResult_.step();
    insertResult_.reset();
    ids_[i] = db_.lastInsertId();
  }
}

std::int64_t StoreWriter::appendOrThrow(std::span<const core::CheckResult> results,
                                        double received) {
  if (!currentLoaded_) loadCurrent();
  Transaction tx(db_);
  // The text is bound without copying (bindRef): `results` outlives the
  // transaction.
  findRows(results);
  if (dropDuplicates(results)) results = kept_;
  insertHistory(results, received);

  // Each row of `current` the batch changes is written once, from the last
  // result that became current; every host touched gets its summary again.
  ++batch_;
  changedRows_.clear();
  touchedHosts_.clear();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    // A host's results tend to come together: skip the easy duplicates here.
    if (touchedHosts_.empty() || touchedHosts_.back() != r.host) touchedHosts_.push_back(r.host);
    registerSeries(r);
    CurrentRow* row = rows_[i];
    if (!CurrentStates::apply(*row, static_cast<int>(r.state), core::severity(r.serviceState()),
                              r.time)) {
      continue;
    }
    if (row->batch != batch_) changedRows_.push_back(row);
    row->batch = batch_;
    row->index = i;
  }
  for (CurrentRow* row : changedRows_) {
    const auto& r = results[row->index];
    Statement& st = updateCurrent_;
    st.bind(1, row->state).bind(2, row->severity).bindRef(3, r.output).bindRef(4, r.perfdata);
    st.bind(5, row->lastCheck).bind(6, row->lastStateChange).bindRef(7, r.source);
    st.bind(8, ids_[row->index]).bind(9, row->id);
    st.step();
    st.reset();
    if (db_.changes() != 1) {
      // current_ and the table disagree: fail the batch (it is rolled back
      // and current_ reloaded) rather than lose a state.
      throw std::runtime_error("current state of " + r.host + "/" + r.service + " not found");
    }
  }
  // In key order: neighbouring hosts share B-tree pages.
  std::sort(touchedHosts_.begin(), touchedHosts_.end());
  touchedHosts_.erase(std::unique(touchedHosts_.begin(), touchedHosts_.end()), touchedHosts_.end());
  for (const auto host : touchedHosts_) {
    const HostRollup h = current_.rollup(host);
    replaceHost_.bindRef(1, host).bind(2, h.worstSeverity).bind(3, h.lastCheck);
    replaceHost_.bind(4, h.services);
    replaceHost_.step();
    replaceHost_.reset();
  }
  tx.commit();
  if (!kept_.empty()) kept_ = {};  // the copies of a batch with duplicates
  return results.empty() ? 0 : ids_.back();
}

std::size_t StoreWriter::pruneHistory(double before, std::size_t maxRows) {
  // History ids grow with arrival, so the oldest rows are the lowest ids:
  // walking from the start by id needs no index on time.
  auto st = db_.prepare(
      "DELETE FROM results WHERE id IN "
      "(SELECT id FROM results ORDER BY id LIMIT ?1) AND received < ?2");
  st.bind(1, static_cast<std::int64_t>(maxRows)).bind(2, before);
  st.step();
  return static_cast<std::size_t>(db_.changes());
}

}  // namespace p2pmon::collector
