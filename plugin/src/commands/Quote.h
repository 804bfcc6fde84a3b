#pragma once
/// The price of an order before it is placed: from Ambita's price endpoint
/// (POST /kode/v1/prices/{kind}), or from the product list where that endpoint is missing.
/// Amounts in integer øre (see Money.h).

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "api/AmbitaClient.h"
#include "dms/Error.h"

namespace ambita::commands {

struct ProductPrice {
  std::string code;
  std::int64_t netOre = 0;
  std::int64_t grossOre = 0;  ///< including VAT
};

struct Quote {
  std::vector<ProductPrice> products;  ///< one per ordered product, in order
  bool fromCatalogue = false;          ///< the price endpoint was missing: the product list's price
  std::int64_t netOre() const;
  std::int64_t grossOre() const;
};

/// Reads the price endpoint's answer: a list of {"code", "price": {"salesPriceNet",
/// "salesPriceVat"}} (amounts as numbers or numeric strings; a missing salesPriceVat means 25 %
/// VAT on the net). Every code of `orderedCodes` must be priced. InvalidArgument naming the
/// JSON path (e.g. "[1].price.salesPriceNet") otherwise.
dms::Result<std::vector<ProductPrice>> parsePriceAnswer(
    const Poco::Dynamic::Var& answer, const std::vector<std::string>& orderedCodes);

/// Asks Ambita what `order` would cost; falls back to the product list when the price endpoint
/// answers 404/405/501 (the municipality of each product is the 4 digits after "WI" in its code).
dms::Result<Quote> quoteOrder(api::AmbitaClient& client, const api::NewOrder& order);

/// A table: product, net, VAT, gross (NOK), a total line, and where the price came from.
void printQuote(const Quote& quote, std::ostream& out);

}  // namespace ambita::commands
