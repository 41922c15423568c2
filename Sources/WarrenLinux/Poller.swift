import CLinux
import Glibc

/// What a descriptor is ready for, or what happened to it.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = PollEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = PollEvents(rawValue: EPOLLOUT.rawValue)
    /// Reported whether asked for or not.
    public static let error = PollEvents(rawValue: EPOLLERR.rawValue)
    /// The peer closed (or the device went away); reported whether asked for or not.
    public static let hangup = PollEvents(rawValue: EPOLLHUP.rawValue)
}

/// An epoll instance: the event loop's one blocking point. Descriptors are registered with
/// a caller-chosen token (a small integer naming "the TUN", "the UDP socket", "the control
/// socket"), and `wait` fills a preallocated event array, so waiting allocates nothing.
///
/// Owned and waited on by one thread (not `Sendable`); to wake it from another thread,
/// register an `EventFD` and signal that.
public final class Poller {
    public let maxEvents: Int
    private let descriptor: FileDescriptor
    private let events: UnsafeMutablePointer<epoll_event>
    /// How many entries the last `wait` filled.
    public private(set) var readyCount = 0

    public init(maxEvents: Int = 64) throws(SystemError) {
        precondition(maxEvents > 0, "a poller reports at least one event per wait")
        let raw = try Syscall.value("creating an epoll instance") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        descriptor = FileDescriptor(raw)
        self.maxEvents = maxEvents
        events = .allocate(capacity: maxEvents)
        events.initialize(repeating: epoll_event(), count: maxEvents)
    }

    deinit {
        events.deinitialize(count: maxEvents)
        events.deallocate()
    }

    /// Watches `fd` for `events` (level-triggered unless `edgeTriggered`), reporting `token`.
    public func add(_ fd: Int32, token: UInt64, events: PollEvents = .readable, edgeTriggered: Bool = false) throws(SystemError) {
        try control(EPOLL_CTL_ADD, fd, token: token, events: events, edgeTriggered: edgeTriggered, "watching descriptor \(fd)")
    }

    /// Changes what `fd` is watched for, such as adding `.writable` while output is queued.
    public func modify(_ fd: Int32, token: UInt64, events: PollEvents, edgeTriggered: Bool = false) throws(SystemError) {
        try control(EPOLL_CTL_MOD, fd, token: token, events: events, edgeTriggered: edgeTriggered, "changing watch on descriptor \(fd)")
    }

    /// Stops watching `fd`. Closing a descriptor also removes it.
    public func remove(_ fd: Int32) throws(SystemError) {
        let epoll = descriptor.rawValue
        _ = try Syscall.value("unwatching descriptor \(fd)") { epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil) }
    }

    private func control(_ operation: Int32, _ fd: Int32, token: UInt64, events: PollEvents, edgeTriggered: Bool,
                         _ name: @autoclosure () -> String) throws(SystemError) {
        var flags = events.rawValue
        if edgeTriggered { flags |= EPOLLET.rawValue }
        var event = epoll_event(events: flags, data: epoll_data_t(u64: token))
        let epoll = descriptor.rawValue
        _ = try Syscall.value(name()) { epoll_ctl(epoll, operation, fd, &event) }
    }

    /// Blocks until a watched descriptor is ready or `timeoutMilliseconds` pass (-1 waits
    /// forever, 0 only looks). Returns how many events are ready; read them with `token(at:)`
    /// and `events(at:)`. A signal arriving mid-wait restarts the wait with the full timeout,
    /// so callers recompute their deadline from the clock, never from the count of waits.
    public func wait(timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let epoll = descriptor.rawValue
        let capacity = Int32(clamping: maxEvents)
        // Invariant: `events` holds `maxEvents` initialized entries and the kernel fills at most that many.
        let ready = try Syscall.value("epoll_wait") { epoll_wait(epoll, events, capacity, timeoutMilliseconds) }
        readyCount = Int(ready)
        return readyCount
    }

    @inline(__always)
    public func token(at index: Int) -> UInt64 {
        precondition(index < readyCount, "event index beyond the events ready")
        return events[index].data.u64
    }

    @inline(__always)
    public func events(at index: Int) -> PollEvents {
        precondition(index < readyCount, "event index beyond the events ready")
        return PollEvents(rawValue: events[index].events)
    }

    public var fileDescriptor: Int32 { descriptor.rawValue }

    public func close() { descriptor.close() }
}
