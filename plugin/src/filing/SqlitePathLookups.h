#pragma once
/// SQL of the SQLite state's per-path lookups, in one place for the store and the tests that
/// check their query plans (issue 15, branch commitcpu).

namespace ambita::filing {

/// StateStore::placesFileAt: an asset filed at ?1, or moved there. Two lookups through
/// assets_by_path and assets_by_target_path rather than one OR. `+state` keeps SQLite from
/// planning the first through assets_by_state_order (every filed asset: without ANALYZE it
/// ranks "state = constant" above "path = ?"), which made verify's question per file found a
/// scan of every filed asset.
inline constexpr const char* kPlacesFileAtSql =
    "SELECT 1 FROM assets WHERE path = ?1 AND +state = 'filed' "
    "UNION ALL SELECT 1 FROM assets WHERE target_path = ?1 AND target_path <> '' AND +state = "
    "'removed' LIMIT 1";

}  // namespace ambita::filing
