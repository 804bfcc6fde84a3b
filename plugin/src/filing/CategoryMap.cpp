#include "filing/CategoryMap.h"

namespace ambita::filing {
namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace

CategoryMap::CategoryMap() : default_{"Andre dokumenter", "Annet"} {
  entries_ = {
      {"PLAN_KART_REGULERING", {"Plan og regulering", "Plan og regulering"}},
      {"KOMMUNAL_INFORMASJON", {"Kommunal informasjon", "Kommunal informasjon"}},
      {"FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE",
       {"Ferdigattest og brukstillatelse", "Ferdigattest"}},
      // Both spellings occur in Ambita's documentation.
      {"PRODUKT_UTEN_KATEGORI", {"Andre dokumenter", "Annet"}},
      {"PRODUCT_UTEN_KATEGORI", {"Andre dokumenter", "Annet"}},
      {"FORRETNINGSFORERINFORMASJON",
       {"Forretningsførerinformasjon", "Forretningsførerinformasjon"}},
      {"PROSPEKT", {"Prospekt", "Prospekt"}},
      {"SALGSOPPGAVEVEDLEGG", {"Salgsoppgavevedlegg", "Salgsoppgavevedlegg"}},
      {"VEDTEKTER", {"Vedtekter", "Vedtekter"}},
  };
}

CategoryInfo& CategoryMap::entry(const std::string& category) {
  auto [it, inserted] = entries_.try_emplace(upper(category), default_);
  return it->second;
}

void CategoryMap::setFolder(const std::string& category, const std::string& folder) {
  entry(category).folder = folder;
}

void CategoryMap::setDocumentType(const std::string& category, const std::string& documentType) {
  entry(category).documentType = documentType;
}

CategoryInfo CategoryMap::lookup(const std::string& category) const {
  auto it = entries_.find(upper(category));
  return it == entries_.end() ? default_ : it->second;
}

}  // namespace ambita::filing
