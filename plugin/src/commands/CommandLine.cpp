#include "commands/CommandLine.h"

namespace ambita::commands {

CommandLine::CommandLine(const std::vector<std::string>& args,
                         const std::set<std::string>& valueFlags,
                         const std::set<std::string>& switches,
                         const std::set<std::string>& repeatable, std::size_t maxPositionals) {
  for (std::size_t i = 0; i < args.size() && problem_.empty(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inlineValue;
    if (name.rfind("--", 0) == 0) {
      if (auto eq = name.find('='); eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    }
    if (name.rfind("--", 0) != 0 && positionals_.size() < maxPositionals) {
      positionals_.push_back(name);
      continue;
    }
    if (switches.count(name)) {
      if (inlineValue) {
        problem_ = name + " takes no value";
      } else {
        switchesSet_.insert(name);
      }
      continue;
    }
    if (!valueFlags.count(name) && !repeatable.count(name)) {
      problem_ = name.rfind("--", 0) == 0 ? "unknown option " + name
                                          : "unexpected argument '" + name + "'";
      continue;
    }
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      problem_ = name + " needs a value";
      continue;
    }
    auto& list = values_[name];
    if (!list.empty() && !repeatable.count(name)) {
      problem_ = name + " given twice";
      continue;
    }
    list.push_back(value);
  }
}

std::optional<std::string> CommandLine::single(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> CommandLine::all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int CommandLine::usageError(std::ostream& err, const std::string& problem,
                            const std::string& usage) {
  err << problem << "\nusage: " << usage << "\n";
  return 2;
}

std::size_t CommandLine::displayWidth(const std::string& utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string CommandLine::oneLine(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return text;
}

std::optional<std::int64_t> CommandLine::positiveId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0) return std::nullopt;
  return value;
}

}  // namespace ambita::commands
