import ArgumentParser
import Glibc
import WarrenCrypto
import WarrenPKI

struct GenKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genkey",
        abstract: "Print a new private key (base64) to stdout, or write it to a file with mode 0600.",
        discussion: """
            warren genkey --out node.key writes the key to a temporary file created with mode 0600 beside node.key, \
            syncs it and renames it into place, so the key is never readable by others, not even for a moment, and \
            node.key is never half-written; it prints only the public key. Or, as with `wg genkey`: \
            (umask 077; warren genkey > node.key); warren pubkey < node.key
            """)

    @Option(name: .customLong("out"), help: "Write the key to FILE (mode 0600) instead of stdout.") var file: String?
    @Flag(help: "Overwrite FILE if it exists.") var force = false

    func validate() throws {
        if force && file == nil { throw ValidationError("--force only applies with --out FILE") }
    }

    func run() throws {
        try reporting {
            var random = SystemRandom()
            let key = SigningKey(random: &random)
            guard let file else {
                print(KeyText.privateKey(key), terminator: "")
                return
            }
            try ensureWritable([file], force: force)
            try write(Array(KeyText.privateKey(key).utf8), to: file, mode: 0o600)
            print("wrote \(file) (mode 0600); public key \(KeyText.publicKey(key.publicKey))")
        }
    }
}

struct PubKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey", abstract: "Read a private key on stdin and print its public key.")

    func run() throws {
        try reporting {
            var text = ""
            while let line = readLine() { text += line }
            guard let key = KeyText.parsePrivateKey(text) else {
                throw Failure.config("stdin is not a Warren private key (one base64 line, as `warren genkey` prints)")
            }
            print(KeyText.publicKey(key.publicKey))
        }
    }
}
