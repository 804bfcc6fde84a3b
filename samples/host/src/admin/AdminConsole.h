#pragma once
/// The admin console of `dms-host run`: AdminApi's routes on their own listener (admin.listen),
/// with the same bounds as the push listener (RouteServer: bounded workers and queue, a
/// deadline for each request, a cap per client address).

#include <memory>

#include "AdminApi.h"
#include "HostSetup.h"
#include "RouteServer.h"

namespace dms::host::admin {

class AdminConsole {
 public:
  /// Binds admin.listen (nothing served before start()). Precondition: setup has made the
  /// plugin and has adminSettings(). Errors: InvalidArgument (bad address), Unavailable.
  static Result<std::unique_ptr<AdminConsole>> open(const HostSetup& setup, StderrLogger& logger,
                                                    const std::string& hostName);

  void start();
  /// Stops the listener: no request starts a command from now on; those in flight go on.
  void stopAccepting() noexcept;
  /// Stops the listener and waits for the requests (and their plugin commands) in flight, then
  /// logs the count of refused logins held back.
  void stop() noexcept;
  std::uint16_t port() const { return server_->port(); }

 private:
  AdminConsole(std::unique_ptr<AdminApi> api, std::unique_ptr<RouteServer> server);

  std::unique_ptr<AdminApi> api_;
  std::unique_ptr<RouteServer> server_;  // destroyed first: its handlers use api_
};

}  // namespace dms::host::admin
