import Foundation

/// An OpenSSH server the lab runs in a node's namespace, and the client key it accepts.
struct SSHServer {
    let process: BackgroundProcess
    let address: String
    let port: Int
    let clientKeyPath: String
}

extension Lab {
    /// Starts `sshd -D -e` in `node`'s namespace on `address`:`port` with a throwaway host
    /// key and one authorized client key, all in the lab's directory, and a config file of
    /// its own (the system's sshd_config is never read). Root may log in with a key only.
    func startSSHServer(in node: Node, address: String, port: Int = 2222) async throws -> SSHServer {
        guard let sshd = Prerequisites.find("sshd") else { throw LabError("sshd not found; run scripts/install-deps") }
        let hostKey = path("ssh_host_ed25519_key"), clientKey = path("ssh_client_ed25519_key")
        for key in [hostKey, clientKey] {
            try await Command.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "warren-integration", "-f", key])
        }
        let authorizedKeys = path("authorized_keys")
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: authorizedKeys)
        let config = path("sshd_config")
        try """
            ListenAddress \(address):\(port)
            HostKey \(hostKey)
            AuthorizedKeysFile \(authorizedKeys)
            PidFile none
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            LogLevel VERBOSE

            """.write(toFile: config, atomically: true, encoding: .utf8)
        // OpenSSH's privilege-separation child chroots here and refuses to start without it.
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        // sshd re-executes itself, so it must be started by its absolute path.
        let process = try startProcess("sshd", node.namespace.exec([sshd, "-D", "-e", "-f", config]))
        try await waitForTCPListener(in: node, port: port, process: process)
        return SSHServer(process: process, address: address, port: port, clientKeyPath: clientKey)
    }

    /// Runs `command` on `server` with `ssh` from `node`'s namespace, trusting any host key
    /// (it is a throwaway one) and never reading the user's ssh configuration.
    func ssh(from node: Node, to server: SSHServer, _ command: String...) async throws -> CommandResult {
        try await Command.run(sshArguments(from: node, to: server, command), timeout: .seconds(20))
    }

    /// The same, left running in the background (its output goes to its log).
    func startSSH(from node: Node, to server: SSHServer, _ command: String...) throws -> BackgroundProcess {
        try startProcess("ssh-\(node.name)", sshArguments(from: node, to: server, command))
    }

    private func sshArguments(from node: Node, to server: SSHServer, _ command: [String]) -> [String] {
        node.namespace.exec([
            "ssh", "-F", "/dev/null", "-i", server.clientKeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-p", "\(server.port)", "root@\(server.address)",
        ] + command)
    }
}
