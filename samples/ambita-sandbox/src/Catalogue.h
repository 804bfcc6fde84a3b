#pragma once
/// The fixed product catalogue: municipality 9999 (Infoland, with the Meglerpakke package) and
/// 5401 (Tromsø, with map products). Immutable after construction, so thread-safe.

#include <map>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>

namespace sandbox {

struct Product {
  std::string code;
  std::string name;
  std::string description;
  std::string inputType;  ///< CADASTRE, SHARE or MAP
  std::string type;       ///< NORMAL or PACKAGE
  double priceNet = 0;
  std::string category;       ///< productCategory given to its delivered files
  std::string fileExtension;  ///< extension of its delivered files, e.g. "pdf"
  std::string municipality;
  std::vector<std::string> children;  ///< codes of the package's products
};

class Catalogue {
 public:
  Catalogue();

  /// True for a known municipality number.
  bool hasMunicipality(const std::string& knr) const;

  /// Municipality name ("Infoland"), empty when unknown.
  std::string municipalityName(const std::string& knr) const;

  /// Products of a municipality; empty for an unknown one.
  std::vector<const Product*> products(const std::string& knr) const;

  /// The product with this code (in any municipality), or nullptr.
  const Product* find(const std::string& code) const;

  /// A price including Norway's 25 % VAT, rounded to whole øre: the one rule for the gross
  /// price the catalogue, the price endpoint and orders all show.
  static double grossPrice(double priceNet);

  /// Replaces the net price of a product (--price, before the server starts). Returns an error
  /// message naming what was wrong, empty on success.
  std::string setPrice(const std::string& spec);

  /// The API's JSON array for GET /kode/v1/products.
  Poco::JSON::Array::Ptr toJson(const std::string& knr) const;

 private:
  void add(Product product);

  std::map<std::string, std::string> municipalities_;
  std::map<std::string, Product> products_;  // by code
  std::vector<std::string> order_;           // codes in listing order
};

}  // namespace sandbox
