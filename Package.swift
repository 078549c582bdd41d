// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "mig",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mig", targets: ["mig"]),
        .library(name: "MigKit", targets: ["MigKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CPgQuery",
            providers: [.apt(["libpg-query-dev"]), .brew(["libpg_query"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .executableTarget(
            name: "embed-templates",
            path: "Sources/embed-templates"
        ),
        .plugin(
            name: "EmbedTemplates",
            capability: .buildTool(),
            dependencies: ["embed-templates"]
        ),
        .target(
            name: "MigKit",
            dependencies: [
                "CGit2", "CLibPQ", "CPgQuery", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            plugins: ["EmbedTemplates"]
        ),
        .executableTarget(
            name: "mig",
            dependencies: [
                "MigKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "MigTestSupport",
            path: "Tests/MigTestSupport"
        ),
        .testTarget(
            name: "MigKitTests",
            dependencies: ["MigKit", "MigTestSupport"],
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "MigEndToEndTests",
            dependencies: ["mig", "MigTestSupport"]
        ),
    ]
)
