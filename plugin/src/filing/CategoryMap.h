#pragma once
/// Ambita product category (an open set, e.g. "PLAN_KART_REGULERING") → folder name and
/// document type. Norwegian defaults; the administrator overrides folders and document types
/// per category, and sets what unknown categories get. Immutable after construction.

#include <map>
#include <string>

namespace ambita::filing {

struct CategoryInfo {
  std::string folder;        ///< e.g. "Plan og regulering"
  std::string documentType;  ///< e.g. "Reguleringsplan"
};

class CategoryMap {
 public:
  /// Defaults only; unknown categories go to "Andre dokumenter" / "Annet".
  CategoryMap();

  /// Overrides the folder of `category` (a known or a new one).
  void setFolder(const std::string& category, const std::string& folder);
  /// Overrides the document type of `category`.
  void setDocumentType(const std::string& category, const std::string& documentType);
  /// What unknown (and empty) categories get.
  void setDefault(const CategoryInfo& info) { default_ = info; }

  /// The folder and document type for `category` (exact code, case-insensitive).
  CategoryInfo lookup(const std::string& category) const;

 private:
  CategoryInfo& entry(const std::string& category);
  std::map<std::string, CategoryInfo> entries_;  ///< keys upper-case
  CategoryInfo default_;
};

}  // namespace ambita::filing
