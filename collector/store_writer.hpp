// The store's single writer: appends batches of accepted results in one
// transaction each (history, current state, host summary, the registry of
// perfdata series) and prunes old history. Metric points are not written
// separately: StoreReader reads them from the history's perfdata. Used by
// one thread only (the ingest writer).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "collector/current_state.hpp"
#include "collector/metric_rollup.hpp"
#include "collector/sqlite_db.hpp"
#include "core/check_result.hpp"

namespace p2pmon::collector {

class StoreWriter {
 public:
  explicit StoreWriter(const std::string& path);  // creates and migrates

  // Commits every result with `received` as its arrival time; returns the
  // id of the last history row. Throws std::runtime_error when the commit
  // fails (nothing of the batch is then stored).
  std::int64_t append(std::span<const core::CheckResult> results, double received);

  // Deletes up to `maxRows` of the oldest history rows received before
  // `before`; returns how many went. Call again until it returns 0.
  std::size_t pruneHistory(double before, std::size_t maxRows);

  // The hourly metric roll-ups (metric_rollup.hpp), kept by the writer thread.
  RollupWriter& rollups() { return rollups_; }

  // Results of the last append() that were not stored again because the
  // store held an identical one (see dropDuplicates()).
  std::size_t lastDuplicates() const { return duplicates_; }

 private:
  std::int64_t appendOrThrow(std::span<const core::CheckResult> results, double received);
  void findRows(std::span<const core::CheckResult> results);
  void insertHistory(std::span<const core::CheckResult> results, double received);
  void registerSeries(const core::CheckResult& r);
  void loadCurrent();
  bool dropDuplicates(std::span<const core::CheckResult> results);
  bool isStored(std::int64_t serviceId, const core::CheckResult& r);

  Database db_;
  Statement insertResult_;
  Statement insertResults_;  // kResultsPerInsert rows at once
  Statement insertCurrent_;
  Statement updateCurrent_;
  Statement replaceHost_;
  Statement upsertSeries_;
  Statement findDuplicate_;
  // The current table's states, and whether they still match it (not after
  // a rolled-back transaction, until reloaded).
  CurrentStates current_;
  bool currentLoaded_ = false;
  std::uint64_t batch_ = 0;
  std::vector<CurrentRow*> rows_;         // current row per result of the batch
  std::vector<std::int64_t> ids_;         // history id per result of the batch
  std::vector<CurrentRow*> changedRows_;  // rows of current_ the batch changed
  std::vector<std::string_view> touchedHosts_;
  // Perfdata shapes (host, service, labels and units) whose series are
  // registered already; a hit costs one scan of the text and no statement.
  std::unordered_set<std::string> knownShapes_;
  std::string shapeKey_;  // lookup key, reused so that a hit allocates nothing
  // Duplicate check: its pass (CurrentRow::seenPass), the results of the
  // batch that are kept when some were duplicates, and keys of the batch's
  // results when a result is no newer than an earlier one of its service.
  std::uint64_t dedupPass_ = 0;
  std::size_t duplicates_ = 0;
  std::vector<char> duplicate_;
  std::vector<core::CheckResult> kept_;
  std::unordered_set<std::string> batchKeys_;
  RollupWriter rollups_{db_};  // after the statements: the schema is migrated by then
};

}  // namespace p2pmon::collector
