package dev.triggers.operator.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The shape of the code, checked on the compiled classes: no package imports one that imports it back, and the
 * transports (one package each under source) are reached only through the source interfaces; the one class that
 * lists the shipped transports is the exception.
 */
class PackageRulesTest {
    static final JavaClasses MAIN = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.triggers.operator");

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() {
        slices().matching("dev.triggers.operator.(**)").should().beFreeOfCycles().check(MAIN);
        // The root package too (Main, the wiring): (**) above leaves it out.
        noClasses().that().resideOutsideOfPackage("dev.triggers.operator")
                .should().dependOnClassesThat().resideInAPackage("dev.triggers.operator")
                .check(MAIN);
    }

    @Test
    void transportsAreReachedOnlyThroughTheSourceInterfaces() {
        for (String transport : new String[] {"cron", "nats", "sqs", "webhook"}) {
            String pkg = "dev.triggers.operator.source." + transport + "..";
            noClasses().that().resideOutsideOfPackage(pkg).and().doNotHaveFullyQualifiedName("dev.triggers.operator.SourceFactories")
                    .should().dependOnClassesThat().resideInAPackage(pkg)
                    .because("the core knows a transport only as a SourceFactory and TriggerSource (no instanceof, no casts)")
                    .check(MAIN);
        }
    }

    @Test
    void theFireEngineKnowsNoSource() {
        noClasses().that().resideInAPackage("dev.triggers.operator.action..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.triggers.operator.source..", "dev.triggers.operator.reconciler..")
                .check(MAIN);
    }
}
