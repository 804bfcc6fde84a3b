/// ambita-sandbox: imitates Ambita's ordering API on 127.0.0.1 for the demo and for tests.
/// Prints "ambita-sandbox listening on http://127.0.0.1:PORT" as its first stdout line, then
/// serves until SIGINT/SIGTERM (or stdin EOF with --exit-on-stdin-eof).

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

#include <Poco/Exception.h>

#include "SandboxOptions.h"
#include "SandboxServer.h"

int main(int argc, char** argv) {
  sandbox::SandboxOptions options;
  bool help = false;
  std::string usage;
  if (auto error = sandbox::parseOptions(argc, argv, options, help, usage); !error.empty()) {
    std::cerr << "ambita-sandbox: " << error << "\n";
    return 2;
  }
  if (help) {
    std::cout << usage;
    return 0;
  }
  // This is a program, not a module: waiting for signals in main is allowed here. Block them
  // before any thread starts so every thread inherits the mask and only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  try {
    sandbox::SandboxServer server(options);
    const std::uint16_t port = server.start();
    std::cout << "ambita-sandbox listening on http://127.0.0.1:" << port << std::endl;
    if (options.exitOnStdinEof) {
      // stdin EOF ends the run: wake the signal wait by raising SIGTERM to ourselves.
      std::thread([] {
        char c;
        while (std::cin.get(c)) {
        }
        kill(getpid(), SIGTERM);
      }).detach();
    }
    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "ambita-sandbox: stopping (signal " << received << ")\n";
    server.stop();
  } catch (const std::invalid_argument& e) {
    std::cerr << "ambita-sandbox: " << e.what() << "\n";
    return 2;
  } catch (const Poco::Exception& e) {
    std::cerr << "ambita-sandbox: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}
