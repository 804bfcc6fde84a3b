#include "Catalogue.h"

#include <cmath>
#include <regex>

#include <Poco/JSON/Object.h>

namespace sandbox {
namespace {

Poco::JSON::Object::Ptr codeName(const std::string& code, const std::string& name) {
  Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
  object->set("code", code);
  object->set("name", name);
  return object;
}

std::string inputTypeName(const std::string& code) {
  if (code == "CADASTRE") return "Matrikkel";
  if (code == "SHARE") return "Borettslagsandel";
  return "Kart";
}

}  // namespace

Catalogue::Catalogue() {
  municipalities_ = {{"9999", "Infoland"}, {"5401", "Tromsø"}};
  add({"WI99990033",
       "Meglerpakke",
       "Alt megleren trenger for salg av en eiendom",
       "CADASTRE",
       "PACKAGE",
       1650.4,
       "PRODUKT_UTEN_KATEGORI",
       "pdf",
       "9999",
       {"WI99990900", "WI99990110", "WI99990210", "WI99990310"}});
  add({"WI99990900",
       "Godkjente bygningstegninger",
       "Tegninger godkjent av kommunen",
       "CADASTRE",
       "NORMAL",
       450,
       "PRODUKT_UTEN_KATEGORI",
       "pdf",
       "9999",
       {}});
  add({"WI99990110",
       "Reguleringsplan med bestemmelser",
       "Gjeldende reguleringsplan",
       "CADASTRE",
       "NORMAL",
       520,
       "PLAN_KART_REGULERING",
       "pdf",
       "9999",
       {}});
  add({"WI99990210",
       "Ferdigattest / midlertidig brukstillatelse",
       "Ferdigattest for bygg",
       "CADASTRE",
       "NORMAL",
       300,
       "FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE",
       "pdf",
       "9999",
       {}});
  add({"WI99990310",
       "Kommunale avgifter",
       "Eiendomsskatt og kommunale gebyrer",
       "CADASTRE",
       "NORMAL",
       250,
       "KOMMUNAL_INFORMASJON",
       "pdf",
       "9999",
       {}});
  add({"WI99990400",
       "Eiendomsinformasjon",
       "Grunnbok og matrikkelopplysninger",
       "CADASTRE",
       "NORMAL",
       180,
       "PRODUKT_UTEN_KATEGORI",
       "pdf",
       "9999",
       {}});
  add({"WI99990500",
       "Opplysninger fra forretningsfører",
       "Borettslagets opplysninger",
       "SHARE",
       "NORMAL",
       1200,
       "FORRETNINGSFORERINFORMASJON",
       "pdf",
       "9999",
       {}});
  add({"WI54010010",
       "Reguleringskart",
       "Kart over gjeldende regulering",
       "MAP",
       "NORMAL",
       690,
       "PLAN_KART_REGULERING",
       "pdf",
       "5401",
       {}});
  add({"WI54010020",
       "Situasjonskart SOSI",
       "Situasjonskart i SOSI-format",
       "MAP",
       "NORMAL",
       890,
       "PLAN_KART_REGULERING",
       "sos",
       "5401",
       {}});
  add({"WI54010100",
       "Kommunale avgifter",
       "Eiendomsskatt og kommunale gebyrer",
       "CADASTRE",
       "NORMAL",
       250,
       "KOMMUNAL_INFORMASJON",
       "pdf",
       "5401",
       {}});
  add({"WI54010200",
       "Ferdigattest",
       "Ferdigattest for bygg",
       "CADASTRE",
       "NORMAL",
       300,
       "FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE",
       "pdf",
       "5401",
       {}});
}

void Catalogue::add(Product product) {
  order_.push_back(product.code);
  products_.emplace(product.code, std::move(product));
}

std::string Catalogue::setPrice(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) return "--price: expected CODE=NET, got '" + spec + "'";
  auto it = products_.find(spec.substr(0, eq));
  if (it == products_.end()) return "--price: no product '" + spec.substr(0, eq) + "'";
  const std::string text = spec.substr(eq + 1);
  static const std::regex kAmount(R"([0-9]{1,9}(\.[0-9]{1,2})?)");
  if (!std::regex_match(text, kAmount))
    return "--price: expected a net price in NOK with at most 2 decimals, got '" + text + "'";
  it->second.priceNet = std::stod(text);
  return {};
}

bool Catalogue::hasMunicipality(const std::string& knr) const {
  return municipalities_.count(knr) != 0;
}

std::string Catalogue::municipalityName(const std::string& knr) const {
  auto it = municipalities_.find(knr);
  return it == municipalities_.end() ? std::string() : it->second;
}

std::vector<const Product*> Catalogue::products(const std::string& knr) const {
  std::vector<const Product*> result;
  for (const auto& code : order_) {
    const Product& product = products_.at(code);
    if (product.municipality == knr) result.push_back(&product);
  }
  return result;
}

const Product* Catalogue::find(const std::string& code) const {
  auto it = products_.find(code);
  return it == products_.end() ? nullptr : &it->second;
}

double Catalogue::grossPrice(double priceNet) {
  return std::round(priceNet * 125.0) / 100.0;
}

Poco::JSON::Array::Ptr Catalogue::toJson(const std::string& knr) const {
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const Product* product : products(knr)) {
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    json->set("code", product->code);
    json->set("name", product->name);
    json->set("description", product->description);
    json->set("delivery", codeName("DIGITAL", "Elektronisk"));
    json->set("inputType", codeName(product->inputType, inputTypeName(product->inputType)));
    Poco::JSON::Object::Ptr price = new Poco::JSON::Object;
    price->set("salesPriceNet", product->priceNet);
    price->set("salesPriceVat", grossPrice(product->priceNet));
    json->set("price", price);
    json->set("status", codeName("ACTIVE", "Aktivt"));
    json->set("type", product->type == "PACKAGE" ? codeName("PACKAGE", "Pakke")
                                                 : codeName("NORMAL", "Enkeltprodukt"));
    if (!product->children.empty()) {
      Poco::JSON::Array::Ptr children = new Poco::JSON::Array;
      for (const auto& code : product->children)
        children->add(codeName(code, products_.at(code).name));
      json->set("children", children);
    }
    array->add(json);
  }
  return array;
}

}  // namespace sandbox
