// Test helper: a cpp-httplib server on a free loopback port, run on its own thread for the length of a test.
// `release` lets handlers that stall on purpose finish before the server stops.
#pragma once

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <httplib.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

struct TestHttpServer {
    httplib::Server http;
    std::thread thread;
    int port = -1;
    std::atomic<bool> release{false};
    std::atomic<int> requests{0};
    std::string lastBody;

    bool start() {
        port = http.bind_to_any_port("127.0.0.1");
        if (port <= 0) return false;
        thread = std::thread([this] { http.listen_after_bind(); });
        for (int i = 0; i < 200 && !http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return http.is_running();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
    // Sleeps until release is set (or `limit` passes); for handlers that stall.
    void stall(std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!release.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~TestHttpServer() {
        release.store(true);
        http.stop();
        if (thread.joinable()) thread.join();
    }
};

// A loopback port with nothing listening on it (bound, then closed).
inline int unusedPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}
